"""Execution: turns scheduled tasks into machine jobs and follows them to the end."""
