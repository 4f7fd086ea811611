"""Routing: which micro-factory makes an order."""
