"""A real HTTP server on 127.0.0.1 that records the requests an SMS gateway sends it."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class RecordingSmsServer:
    """Start with ``with RecordingSmsServer() as server``; ``server.requests`` lists what came in.

    ``status`` is the HTTP status answered; ``delay`` seconds are waited before answering.
    """

    def __init__(self, status=200, delay=0):
        self.status = status
        self.delay = delay
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status, payload, extra_headers=()):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in extra_headers:
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def _handle(self):
                if self.path == "/last":
                    # For browser tours: the last SMS, readable by the signing page's origin.
                    payload = json.dumps({"message": outer.last_message() if outer.requests else ""}).encode()
                    self._answer(200, payload, [("Access-Control-Allow-Origin", "*")])
                    return
                if self.path.startswith("/status/"):
                    # For browser tours: the gateway starts (or stops) accepting messages.
                    outer.status = int(self.path.rsplit("/", 1)[1])
                    self._answer(200, b"{}", [("Access-Control-Allow-Origin", "*")])
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append(
                    {
                        "method": self.command,
                        "path": urlsplit(self.path).path,
                        "query": parse_qs(urlsplit(self.path).query),
                        "headers": {key.lower(): value for key, value in self.headers.items()},
                        "body": body.decode(),
                    }
                )
                if outer.delay:
                    time.sleep(outer.delay)
                payload = json.dumps({"ok": outer.status < 400}).encode()
                try:
                    self._answer(outer.status, payload)
                except (BrokenPipeError, ConnectionResetError):
                    outer.requests[-1]["client_gone"] = True

            do_GET = do_POST = do_PUT = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def last_message(self):
        """The text of the last SMS, whatever the gateway's request shape."""
        body = self.requests[-1]["body"]
        try:
            data = json.loads(body)
            return data.get("text") or data.get("message")
        except ValueError:
            return parse_qs(body).get("Body", [body])[0]
