"""A local HTTP server that answers the Slack Web API methods the Slack channel uses
(`users.lookupByEmail`, `conversations.open`, `chat.postMessage`), so slack-sdk is tested against
real HTTP at SLACK_API_URL. Scripted answers stand in for Slack's errors."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeSlack:
    # E-mail address → Slack user id; anyone else is `user_not_found`.
    users: dict[str, str] = field(default_factory=dict)
    # Answers to give before the real ones, in order, per method: ("error", "internal_error"),
    # ("ratelimited", seconds) or ("http", status).
    script: dict[str, list[tuple[str, object]]] = field(default_factory=dict)
    posted: list[dict] = field(default_factory=list)  # chat.postMessage calls answered ok
    calls: list[tuple[str, dict]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    url: str = ""

    def messages_to(self, email: str) -> list[str]:
        channel = f"D{self.users[email]}"
        return [m["text"] for m in self.posted if m["channel"] == channel]

    def answer(self, method: str, params: dict) -> tuple[int, dict, dict]:
        self.calls.append((method, params))
        scripted = self.script.get(method) or []
        if scripted:
            kind, value = scripted.pop(0)
            if kind == "ratelimited":
                return 429, {"Retry-After": str(value)}, {"ok": False, "error": "ratelimited"}
            if kind == "http":
                return int(value), {}, {"ok": False, "error": "fatal_error"}  # type: ignore[call-overload]
            return 200, {}, {"ok": False, "error": value}
        if method == "users.lookupByEmail":
            user = self.users.get(params.get("email", ""))
            if user is None:
                return 200, {}, {"ok": False, "error": "users_not_found"}
            return 200, {}, {"ok": True, "user": {"id": user}}
        if method == "conversations.open":
            return 200, {}, {"ok": True, "channel": {"id": f"D{params['users']}"}}
        if method == "chat.postMessage":
            self.posted.append(params)
            return 200, {}, {"ok": True, "channel": params["channel"], "ts": str(len(self.posted))}
        return 200, {}, {"ok": False, "error": "unknown_method"}


def serve(slack: FakeSlack):
    """Start the server on a free port; returns (server, thread). Its address is in slack.url."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            parts = urlsplit(self.path)
            method = parts.path.rsplit("/", 1)[-1]
            params = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            if raw:
                if "json" in (self.headers.get("content-type") or ""):
                    params.update(json.loads(raw))
                else:
                    params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
            slack.tokens.append(self.headers.get("authorization", ""))
            status, headers, body = slack.answer(method, params)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    slack.url = f"http://127.0.0.1:{server.server_port}/api/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
