"""The network: sites, lanes, regions, machines, operators, materials and product templates."""
