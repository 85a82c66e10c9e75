"""Two small proxies for the multi-node test, in threads of the test process, on 127.0.0.1 only.

- `RoundRobinHttp`: the load balancer: each request goes to the next web node in turn; it passes
  the client's X-Forwarded-For on (as the one trusted proxy in front of the nodes would) and counts
  what each node answered.
- `CuttableTcp`: stands between the nodes and PostgreSQL. `cut()` drops every open connection and
  refuses new ones, as a database restart or failover does; `restore()` lets them through again.
  Only this test's nodes go through it: the shared PostgreSQL server is never touched.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class RoundRobinHttp:
    def __init__(self, backends: list[int]):
        self.backends = backends
        self.turn = 0
        self.lock = threading.Lock()
        self.answers: Counter = Counter()  # (backend port, status) → count
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _forward(self):
                with proxy.lock:
                    port = proxy.backends[proxy.turn % len(proxy.backends)]
                    proxy.turn += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers["X-Forwarded-Proto"] = "http"
                try:
                    upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    reply = upstream.getresponse()
                    data = reply.read()
                    status, reply_headers = reply.status, reply.getheaders()
                    upstream.close()
                except OSError:
                    status, reply_headers, data = 502, [("Content-Type", "text/plain")], b"bad gateway"
                with proxy.lock:
                    proxy.answers[(port, status)] += 1
                self.send_response(status)
                for name, value in reply_headers:
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = _forward  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class CuttableTcp:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.up = threading.Event()
        self.up.set()
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.cuts = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.listener.close()
        self._drop_all()

    def cut(self):
        self.up.clear()
        self.cuts += 1
        self._drop_all()

    def restore(self):
        self.up.set()

    def _drop_all(self):
        with self.lock:
            sockets, self.open = list(self.open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                client, _addr = self.listener.accept()
            except OSError:
                return
            if not self.up.is_set():
                client.close()  # the database is "down": the connection is refused at once
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.open.update({client, server})
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
