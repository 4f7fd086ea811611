"""Machine drivers: one contract (``Machine``), many drivers (simulated first)."""
