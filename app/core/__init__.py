"""Pure domain logic: no I/O, no asyncio, no Qt."""
