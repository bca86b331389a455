"""Slack incoming-webhook sink on 127.0.0.1: records every POST and answers like Slack does.

Stands in for hooks.slack.com (nothing else is ever contacted). Behaviour can be switched at run
time, in-process (``sink.fail_next(...)``) or over HTTP (``POST /_control``), so scenarios can make
Slack answer 500/429 for the next K posts, or stay down.

Run standalone: ``python sink.py --port 8999`` (prints each message as readable text).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from collections.abc import Callable


@dataclass
class Post:
    """One request the sink received."""

    seq: int
    at: float
    path: str
    status: int  # what the sink answered
    body: Any  # parsed JSON (or the raw text when it was not JSON)
    raw: str

    @property
    def accepted(self) -> bool:
        return self.status == 200


@dataclass
class _Mode:
    fail_statuses: list[int] = field(default_factory=list)  # answered to the next posts, in order
    down_status: int | None = None  # answered to every post while set


class SlackSink:
    """Threaded HTTP server recording Slack webhook posts."""

    def __init__(self, port: int = 0, on_post: Callable[[Post], None] | None = None):
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._mode = _Mode()
        self.posts: list[Post] = []
        self.on_post = on_post
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # silence http.server's stderr lines
                pass

            def _reply(self, status: int, text: str, extra: dict[str, str] | None = None) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/_posts":
                    with sink._lock:
                        payload = [p.__dict__ for p in sink.posts]
                    self._reply(200, json.dumps(payload))
                else:
                    self._reply(404, "no_service")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                if self.path == "/_control":
                    sink.control(json.loads(raw or "{}"))
                    self._reply(200, "ok")
                    return
                status = sink._next_status()
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw
                with sink._cond:
                    post = Post(len(sink.posts) + 1, time.time(), self.path, status, body, raw)
                    sink.posts.append(post)
                    sink._cond.notify_all()
                if status == 200:
                    self._reply(200, "ok")
                elif status == 429:
                    self._reply(429, "rate_limited", {"Retry-After": "1"})
                else:
                    self._reply(status, "internal_error")
                if sink.on_post:
                    sink.on_post(post)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="slack-sink", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SlackSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/services/T000/B000/XXXXXXXX") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # -- behaviour -------------------------------------------------------------------------------
    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer `status` to the next `count` posts, then 200 again."""
        with self._lock:
            self._mode.fail_statuses = [status] * count

    def set_down(self, status: int | None = 500) -> None:
        """Answer `status` to every post until `set_down(None)` / `reset()`."""
        with self._lock:
            self._mode.down_status = status

    def reset(self) -> None:
        with self._lock:
            self._mode = _Mode()

    def control(self, cmd: dict[str, Any]) -> None:
        if cmd.get("reset"):
            self.reset()
        if "failNext" in cmd:
            self.fail_next(int(cmd["failNext"]), int(cmd.get("status", 500)))
        if "down" in cmd:
            self.set_down(int(cmd.get("status", 500)) if cmd["down"] else None)

    def _next_status(self) -> int:
        with self._lock:
            if self._mode.down_status is not None:
                return self._mode.down_status
            if self._mode.fail_statuses:
                return self._mode.fail_statuses.pop(0)
            return 200

    # -- queries ---------------------------------------------------------------------------------
    def since(self, seq: int) -> list[Post]:
        with self._lock:
            return [p for p in self.posts if p.seq > seq]

    def last_seq(self) -> int:
        with self._lock:
            return len(self.posts)

    def wait_for(self, pred: Callable[[list[Post]], bool], timeout: float) -> bool:
        deadline = time.time() + timeout
        with self._cond:
            while not pred(list(self.posts)):
                left = deadline - time.time()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
            return True


# -- rendering -----------------------------------------------------------------------------------
def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return str(obj or "")


def _element_text(el: dict[str, Any]) -> str:
    t = el.get("type")
    if t == "button":
        url = el.get("url", "")
        return f"[{_text(el.get('text'))}]({url})" if url else f"[{_text(el.get('text'))}]"
    if t in ("mrkdwn", "plain_text"):
        return str(el.get("text", ""))
    if t == "image":
        return f"<image {el.get('alt_text', '')}>"
    return _text(el.get("text")) or json.dumps(el)


def message_lines(body: Any) -> list[str]:
    """Render a Slack message (Block Kit or plain text, with attachments) as readable lines."""
    if not isinstance(body, dict):
        return [str(body)]
    lines: list[str] = []
    blocks = list(body.get("blocks") or [])
    for att in body.get("attachments") or []:
        blocks.extend(att.get("blocks") or [])
        if att.get("text") or att.get("title"):
            lines.append(" ".join(x for x in (att.get("title"), att.get("text")) if x))
    if not blocks and body.get("text"):
        lines.append(str(body["text"]))
    for b in blocks:
        t = b.get("type")
        if t == "header":
            lines.append(f"## {_text(b.get('text'))}")
        elif t == "section":
            if b.get("text"):
                lines.extend(_text(b["text"]).splitlines())
            for f in b.get("fields") or []:
                lines.append("  " + " ".join(_text(f).split("\n")))
            if b.get("accessory"):
                lines.append("  " + _element_text(b["accessory"]))
        elif t in ("context", "actions"):
            parts = [_element_text(e) for e in b.get("elements") or []]
            lines.append(("  " if t == "context" else "  -> ") + "  ".join(parts))
        elif t == "divider":
            lines.append("  ---")
        elif t == "rich_text":
            lines.append(json.dumps(b)[:200])
        else:
            lines.append(f"  <{t}> " + json.dumps(b)[:160])
    return lines


def message_text(body: Any) -> str:
    """All human-visible text of a message, for assertions (header + fields + context + links)."""
    return "\n".join(message_lines(body)) + "\n" + (json.dumps(body) if not isinstance(body, str) else "")


def header(body: Any) -> str:
    """The header block's text (or the first line of text) of a Slack message."""
    if isinstance(body, dict):
        blocks = list(body.get("blocks") or [])
        for att in body.get("attachments") or []:
            blocks.extend(att.get("blocks") or [])
        for b in blocks:
            if b.get("type") == "header":
                return _text(b.get("text"))
        for b in blocks:
            if b.get("type") == "section" and b.get("text"):
                return _text(b["text"]).splitlines()[0]
        if body.get("text"):
            return str(body["text"]).splitlines()[0]
    return str(body)[:120]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    def show(p: Post) -> None:
        print(f"slack #{p.seq} -> {p.status}")
        for line in message_lines(p.body):
            print("   ", line)

    sink = SlackSink(args.port, on_post=show).start()
    print(f"slack sink listening on {sink.url()}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
