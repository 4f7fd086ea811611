"""The templates shipped with microfab: one small module per product, each with a ``TEMPLATE``."""
