"""Orders: the durable, idempotent record of what a customer asked for and where it is."""
