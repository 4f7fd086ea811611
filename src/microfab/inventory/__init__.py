"""Inventory: stock on each factory's shelves and replenishment from the central plants."""
