"""The ``corral`` command: run a server, a render or a monitor, and drive the farm from a terminal.

One module per group of verbs (modes, submit, jobs, services, farm), each declaring its own
arguments next to its handlers; parsing and output hold what they share. Only the standard library
and app.api are imported at module level so that ``corral --help`` and the client verbs start
fast: the server, the render, aiohttp and PyQt6 are imported inside the verbs that run them.
"""

from app.cli.command import main

__all__ = ["main"]
