"""Footprint: CO2e of making and moving things, with the factors' sources."""
