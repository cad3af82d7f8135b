"""The HTTP plumbing every fake server of the tests stands on: one way to write a fake endpoint.

A fake subclasses :class:`FakeHttpServer` and implements ``handle(h)``, where ``h`` is the
:class:`Handler` of one request (``h.command``, ``h.path``, ``h.headers``, ``h.read_body()``,
``h.send_response()``/``send_header()``/``end_headers()``/``wfile``). It may set
``handler_class`` to a :class:`Handler` subclass for what the real service says about itself
(``server_version``, an idle ``timeout``, buffered writes) and ``methods`` to the HTTP methods
it answers (others get 501, as from :mod:`http.server`).

The server: a :class:`http.server.ThreadingHTTPServer` on ``127.0.0.1`` with an ephemeral port,
serving from a daemon thread; HTTP/1.1 keep-alive (the real services keep connections open, and
clients pool them); optionally TLS (``ssl_context``). ``close()`` returns promptly even while a
handler sleeps or streams: it sets ``closing`` (an event slow handlers wait on), stops the loop
and shuts every open connection down. It counts the connections it accepts
(``connections``). Requests are recorded in ``_record()`` order under
``_lock``; each fake exposes the log its own way (``requests``, ``records``).
"""

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Optional

__all__ = ["FakeHttpServer", "Handler"]


class Handler(BaseHTTPRequestHandler):
    """One connection; every request goes to the fake's ``handle(self)``."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the real services
    disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid the 40 ms delayed-ACK stall

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass

    def _dispatch(self):
        fake = self.server.fake
        if self.command not in fake.methods:
            self.send_error(501, "Unsupported method (%r)" % self.command)
            return
        fake.handle(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _dispatch

    def read_body(self) -> bytes:
        """The request body: Content-Length bytes, or the chunks of a chunked body."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a slow or hung handler never blocks interpreter exit or close()
    block_on_close = False
    request_queue_size = 128  # the default 5 drops SYNs under a burst: a 1 s retransmit stall

    def __init__(self, fake, address):
        self.fake = fake
        self._open = set()
        self._open_lock = threading.Lock()
        super().__init__(address, fake.handler_class)

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
            self.fake.connections += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self):
        """Shut down every accepted socket so keep-alive/slow handler threads end now."""
        with self._open_lock:
            sockets = list(self._open)
            self._open.clear()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or self.fake.closing.is_set():
            return  # the client went away (or we are closing): nothing to report
        super().handle_error(request, client_address)


class FakeHttpServer:
    """A fake endpoint's server: lifecycle, addresses and the request log.

    ``start()`` (or ``with``) serves, ``close()`` stops; both may be called again.
    """

    handler_class = Handler
    methods = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH")

    def __init__(self, host: str = "127.0.0.1", ssl_context=None):
        self.host = host
        self._ssl_context = ssl_context
        self._lock = threading.RLock()
        self._log: List[object] = []
        self.closing = threading.Event()
        self._httpd: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._port: Optional[int] = None
        #: How many connections the server has accepted.
        self.connections = 0

    # -- to be provided by subclasses ---------------------------------------------------------

    def handle(self, h: Handler):
        """Answer one request."""
        raise NotImplementedError

    # -- addresses / lifecycle ----------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._port is not None, "server not started"
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash; ``https`` with TLS)."""
        return "%s://%s:%d" % ("https" if self._ssl_context else "http", self.host, self.port)

    @property
    def netloc(self) -> str:
        """``127.0.0.1:PORT`` -- for clients that take a host rather than a URL."""
        return "%s:%d" % (self.host, self.port)

    def start(self):
        if self._httpd is not None:
            return self
        self.closing = threading.Event()
        self._httpd = _Server(self, (self.host, 0))
        if self._ssl_context is not None:
            self._httpd.socket = self._ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        self._port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},  # close() waits up to this long
            name="%s-%d" % (type(self).__name__, self._port),
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self):
        """Stop serving: wake slow handlers, ``shutdown()`` and ``server_close()``, drop open
        connections. Returns promptly even if a handler is sleeping or streaming."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._httpd = self._thread = None
        self.closing.set()
        httpd.shutdown()
        httpd.server_close()
        httpd.drop_connections()
        thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    # -- request log --------------------------------------------------------------------------

    def _record(self, entry):
        with self._lock:
            self._log.append(entry)

    def _recorded(self) -> list:
        """A snapshot (copy) of the log, oldest first."""
        with self._lock:
            return list(self._log)

    def _forget(self):
        with self._lock:
            self._log.clear()
