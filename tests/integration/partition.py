"""A TCP proxy on loopback between a render and the server, that a test cuts and heals.

While cut nothing crosses, either way: what either side sends waits (as TCP retries across a
real partition) and new connections wait to be let through. Neither side is told; each finds
out by its own timeouts.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Partition:
    """Listens on its own port and forwards every connection to the target port."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._healed = threading.Event()
        self._healed.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self._healed.clear()

    def heal(self) -> None:
        self._healed.set()

    def close(self) -> None:
        """Take no more connections (those open end with their processes)."""
        self._listener.close()
        self.heal()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            self._healed.wait()
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        """Forward one way; an end or an error closes the connection both ways."""
        try:
            while data := source.recv(65536):
                self._healed.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
