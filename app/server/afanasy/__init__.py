"""The Afanasy-compatible listener: framing, requests, the bridge to the routes."""
