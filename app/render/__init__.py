"""The render client: connection, task processes."""
