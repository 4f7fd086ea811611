"""Simulation: the same services driven by a simulated clock, generated demand and faults."""
