"""Corral: a render farm manager."""

__version__ = "0.1.0"
RENDER_PROTOCOL = 2  # the render WebSocket's version (docs/protocol.md); renders must match
