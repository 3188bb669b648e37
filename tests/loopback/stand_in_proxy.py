"""Stands in for a LiteLLM proxy where a test needs only its health answers, as LiteLLM 1.108.7 gives
them (proxy/health_endpoints/_health_endpoints.py): health_liveliness() returns "I'm alive!", and
_get_health_readiness_details() (served at /health/readiness/details) returns
    {"status": "healthy", "db": db_status, "cache": cache_type, "litellm_version": version,
     "success_callbacks": success_callback_names, "use_aiohttp_transport": ..., "log_level": ...,
     "is_detailed_debug": ..., "show_no_redis_warning": ..., "show_env_credential_login_warning": ...}
where db_status is "connected" for a reachable database and "Not connected" without one (what the
real proxies of tests/test_two_proxies.py answer). Any other path answers a one-model list.

In the test's process: `with StandInProxy(database="connected") as port`. As a proxy's entry point
(the one-off smoke task's script starts `litellm ARGS`): `python stand_in_proxy.py --host H --port P`,
other proxy options ignored, no database; it stops on SIGTERM as the proxy does."""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WITHOUT_DATABASE = "Not connected"


def readiness(database: str) -> dict:
    return {"status": "healthy", "db": database, "cache": "redis", "litellm_version": "1.108.7",
            "success_callbacks": [], "use_aiohttp_transport": True, "log_level": "WARNING",
            "is_detailed_debug": False, "show_no_redis_warning": False, "show_env_credential_login_warning": False}


def server(host: str, port: int, database: str) -> ThreadingHTTPServer:
    answers = {"/health/liveliness": "I'm alive!", "/health/readiness/details": readiness(database)}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            body = answers.get(self.path, {"object": "list", "data": [{"id": "llama3.2:3b", "object": "model"}]})
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return ThreadingHTTPServer((host, port), Handler)


class StandInProxy:
    def __init__(self, *, database: str) -> None:
        self.server = server("127.0.0.1", 0, database)

    def __enter__(self) -> int:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.server.server_address[1]

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description="A LiteLLM proxy's health answers, without a database.")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    known, _ = parser.parse_known_args()
    server(known.host, known.port, WITHOUT_DATABASE).serve_forever()


if __name__ == "__main__":
    main()
