"""What the API reads and writes, as pydantic models, one module per resource.

Requests (``...Create``) refuse unknown fields; responses (``...Public``) are built from the
domain objects by their ``of`` class methods.
"""
