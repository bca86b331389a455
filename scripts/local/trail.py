"""CloudTrail `LookupEvents` on 127.0.0.1, answered from recorded AWS-shaped responses.

Neither LocalStack (community) nor moto emulates CloudTrail's LookupEvents, so the watchdog's
reconciler (CONTRACT §10, step 5) reads it from here: `AWS_ENDPOINT_URL_CLOUDTRAIL` points the Rust
SDK at this server. The protocol is CloudTrail's own (awsJson1_1: POST /, `X-Amz-Target:
com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents` as botocore sends it, or
`CloudTrail_20131101.LookupEvents` as the Rust SDK does; timestamps as epoch seconds);
the answers are the events of the fixtures the runner loaded (tests/fixtures/watchdog/
cloudtrail_lookupevents_<variant>.json, each a LookupEvents response as AWS returned it), moved to
the scenario's time with fresh ids (`place`), filtered by the request's StartTime/EndTime (both
inclusive, as documented) and LookupAttributes, newest first, paged by MaxResults (1-50, default
50) with an opaque NextToken. Requests outside the model (an unknown attribute key, MaxResults out
of range, StartTime after EndTime, a NextToken of another query) get CloudTrail's error shapes.

Standalone: `python trail.py --port 8998 [--fixture VARIANT ...]` serves the fixtures as recorded.
"""

from __future__ import annotations

import argparse
import base64
import copy
import datetime as dt
import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "watchdog")
TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
# botocore sends the model's targetPrefix (TARGET); the Rust SDK (Smithy awsJson1_1) sends the
# service shape's name only. CloudTrail answers both.
TARGETS = {TARGET, "CloudTrail_20131101.LookupEvents"}
ATTRIBUTE_KEYS = {"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"}


def fixture_path(variant: str) -> str:
    return os.path.join(FIXTURES, f"cloudtrail_lookupevents_{variant}.json")


def load_fixture(variant: str) -> dict[str, Any]:
    with open(fixture_path(variant)) as f:
        return json.load(f)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def place(response: dict[str, Any], at: dt.datetime, subs: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The fixture's events moved so that its newest is at `at` (the others keep their distance),
    each with a fresh EventId (= the record's eventID) and requestID; `subs` replaces text in the
    record (e.g. a placeholder rule name). Returns the events (CloudTrailEvent stays a JSON string)."""
    events = copy.deepcopy(response.get("Events") or [])
    if not events:
        return []
    newest = max(float(e["EventTime"]) for e in events)
    out = []
    for e in events:
        t = at + dt.timedelta(seconds=float(e["EventTime"]) - newest)
        text = e["CloudTrailEvent"]
        for k, v in (subs or {}).items():
            text = text.replace(k, v)
        rec = json.loads(text)
        eid = str(uuid.uuid4())
        rec["eventID"] = eid
        rec["requestID"] = str(uuid.uuid4())
        rec["eventTime"] = iso(t)
        e["EventId"] = eid
        e["EventTime"] = int(t.timestamp())
        e["CloudTrailEvent"] = json.dumps(rec, separators=(",", ":"))
        out.append(e)
    return out


def as_eventbridge(event: dict[str, Any]) -> dict[str, Any]:
    """A LookupEvents event's record wrapped as EventBridge delivers it (AWS API Call via CloudTrail)."""
    rec = json.loads(event["CloudTrailEvent"])
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + rec["eventSource"].split(".", 1)[0],
        "account": rec.get("recipientAccountId", ""),
        "time": rec["eventTime"],
        "region": rec.get("awsRegion", ""),
        "resources": [],
        "detail": rec,
    }


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *_a: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, msg: str) -> None:
        self._send(status, {"__type": code, "message": msg})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b"{}"
        target = self.headers.get("X-Amz-Target", "")
        if target not in TARGETS:
            self._error(400, "UnknownOperationException", f"this stand-in answers {TARGET} only, not {target!r}")
            return
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            self._error(400, "SerializationException", "request body is not JSON")
            return
        status, body = self.server.trail.lookup(req)
        self._send(status, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    trail: "Trail"


class Trail:
    """The events CloudTrail holds (added by the scenarios) and the server that answers for them."""

    def __init__(self, port: int = 0):
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []  # every request, for the scenarios' and the benchmark's counts
        self._srv = _Server(("127.0.0.1", port), _Handler)
        self._srv.trail = self
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)

    def start(self) -> "Trail":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()

    def url(self) -> str:
        return f"http://127.0.0.1:{self._srv.server_address[1]}"

    def add(self, events: list[dict[str, Any]]) -> None:
        with self._lock:
            self._events.extend(copy.deepcopy(events))

    def lookup(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append(copy.deepcopy(req))
            events = list(self._events)
        attrs = req.get("LookupAttributes") or []
        if len(attrs) > 1:
            return 400, {"__type": "InvalidLookupAttributesException", "message": "only one lookup attribute"}
        for a in attrs:
            if a.get("AttributeKey") not in ATTRIBUTE_KEYS or not a.get("AttributeValue"):
                return 400, {"__type": "InvalidLookupAttributesException", "message": f"bad lookup attribute {a}"}
        max_results = req.get("MaxResults", 50)
        if not isinstance(max_results, int) or not 1 <= max_results <= 50:
            return 400, {"__type": "InvalidMaxResultsException", "message": "MaxResults must be 1-50"}
        start, end = req.get("StartTime"), req.get("EndTime")
        if start is not None and end is not None and float(start) > float(end):
            return 400, {"__type": "InvalidTimeRangeException", "message": "StartTime is after EndTime"}
        query = json.dumps({k: req.get(k) for k in ("LookupAttributes", "StartTime", "EndTime")}, sort_keys=True)
        offset = 0
        if req.get("NextToken"):
            try:
                tok = json.loads(base64.b64decode(req["NextToken"]))
                assert tok["q"] == query
                offset = int(tok["o"])
            except Exception:  # noqa: BLE001 - any bad token is CloudTrail's InvalidNextTokenException
                return 400, {"__type": "InvalidNextTokenException", "message": "the token is not this query's"}

        def keep(e: dict[str, Any]) -> bool:
            t = float(e["EventTime"])
            if start is not None and t < float(start):
                return False
            if end is not None and t > float(end):
                return False
            for a in attrs:
                k, v = a["AttributeKey"], a["AttributeValue"]
                if k == "ResourceName":
                    if not any(r.get("ResourceName") == v for r in e.get("Resources") or []):
                        return False
                elif k == "ResourceType":
                    if not any(r.get("ResourceType") == v for r in e.get("Resources") or []):
                        return False
                elif str(e.get(k)) != v:
                    return False
            return True

        hits = sorted((e for e in events if keep(e)), key=lambda e: -float(e["EventTime"]))
        page = hits[offset : offset + max_results]
        body: dict[str, Any] = {"Events": page}
        if offset + max_results < len(hits):
            body["NextToken"] = base64.b64encode(json.dumps({"q": query, "o": offset + max_results}).encode()).decode()
        return 200, body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8998)
    ap.add_argument("--fixture", action="append", default=[], help="a variant of tests/fixtures/watchdog (repeatable)")
    a = ap.parse_args()
    t = Trail(a.port)
    for v in a.fixture:
        t.add(load_fixture(v).get("Events") or [])
    t.start()
    print(f"CloudTrail LookupEvents on {t.url()} ({len(t._events)} events)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        t.stop()


if __name__ == "__main__":
    main()
