"""A small Ollama stand-in on 127.0.0.1: answers /api/chat and records what the model was sent."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "hello from the fake model"


class FakeOllama:
    def __init__(self) -> None:
        self.received: list[dict] = []
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, body: dict, status: int = 200) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/api/tags":
                    self._json({"models": []})
                else:
                    self._json({"error": "not found"}, 404)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                if self.path == "/api/chat":
                    fake.received.append(body)
                    self._json({"model": body.get("model"), "created_at": "2026-01-01T00:00:00Z",
                                "message": {"role": "assistant", "content": REPLY}, "done": True,
                                "done_reason": "stop", "prompt_eval_count": 5, "eval_count": 5})
                elif self.path == "/api/show":
                    self._json({"modelfile": "", "parameters": "", "template": "", "details": {},
                                "model_info": {}, "capabilities": ["completion"]})
                else:
                    self._json({"error": "not found"}, 404)

        return Handler

    def __enter__(self) -> FakeOllama:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
