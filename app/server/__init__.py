"""The farm server: REST API, render sockets, farm state, store."""
