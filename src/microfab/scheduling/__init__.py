"""Scheduling: which machine makes which task, and when."""
