"""Quoting: price, dates and CO2e for every capable factory, with the central baseline beside."""
