"""microfab: run networks of micro-factories, from a personalised order to its delivery."""

__version__ = "0.1.0"
