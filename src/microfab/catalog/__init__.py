"""Product templates: typed, ranged parameters and the routing that makes the product."""
