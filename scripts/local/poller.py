"""Thin SQS -> Lambda poller: the local stand-in for the Lambda event source mappings.

For each mapping it long-polls the queue, invokes the function once per batch through the Lambda
Invoke API that `cargo lambda watch` serves, with the event shape Lambda's SQS integration sends,
then deletes exactly the messages the function reports as processed:

* success, no ``batchItemFailures``      -> delete every message of the batch
* ``batchItemFailures`` (when the mapping has ReportBatchItemFailures) -> delete all but those
* function error, invoke error, malformed failure list -> delete nothing

Anything not deleted becomes visible again after the queue's own visibility timeout and, after
``maxReceiveCount`` receives, SQS's redrive policy moves it to the DLQ. The poller has no retry
logic of its own (the boto3 client it uses has retries disabled too).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

import boto3
from botocore.config import Config


@dataclass
class Mapping:
    """One event source mapping, as read from the template before the transformation dropped it."""

    queue_url: str
    queue_arn: str
    function_name: str  # the cargo-lambda bin name
    batch_size: int = 10
    report_batch_item_failures: bool = False
    label: str = ""


@dataclass
class Invocation:
    at: float
    label: str
    function: str
    endpoint: str
    message_ids: list[str]
    receive_counts: list[int]
    bodies: list[str]
    deleted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    function_error: str | None = None
    payload: Any = None
    seconds: float = 0.0


def _lambda_message_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, a in (attrs or {}).items():
        out[name] = {
            "stringValue": a.get("StringValue"),
            "binaryValue": a.get("BinaryValue"),
            "stringListValues": a.get("StringListValues", []),
            "binaryListValues": a.get("BinaryListValues", []),
            "dataType": a.get("DataType"),
        }
        if out[name]["binaryValue"] is None:
            del out[name]["binaryValue"]
    return out


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS integration sends for a batch of received messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes") or {}),
                "messageAttributes": _lambda_message_attributes(m.get("MessageAttributes") or {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


class Poller:
    def __init__(
        self,
        sqs_endpoint: str,
        region: str,
        mappings: list[Mapping],
        invoke_endpoint: Callable[[Mapping], str],
        log: Callable[[str], None] = print,
        wait_seconds: int = 1,
    ):
        self.region = region
        self.mappings = mappings
        self.invoke_endpoint = invoke_endpoint
        self.log = log
        self.wait_seconds = wait_seconds
        self.invocations: list[Invocation] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sqs = boto3.client(
            "sqs",
            endpoint_url=sqs_endpoint,
            region_name=region,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )
        self._lambda_clients: dict[str, Any] = {}
        self.paused: set[str] = set()  # function names not to poll for (labels)

    def _lambda(self, endpoint: str) -> Any:
        if endpoint not in self._lambda_clients:
            self._lambda_clients[endpoint] = boto3.client(
                "lambda",
                endpoint_url=endpoint,
                region_name=self.region,
                config=Config(
                    retries={"max_attempts": 1, "mode": "standard"},  # no retries: SQS redrives
                    connect_timeout=5,
                    read_timeout=300,  # the first call may wait for cargo lambda watch to start the bin
                ),
            )
        return self._lambda_clients[endpoint]

    def start(self) -> Poller:
        for m in self.mappings:
            t = threading.Thread(target=self._run, args=(m,), name=f"poll-{m.label}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=self.wait_seconds + 10)

    def since(self, n: int) -> list[Invocation]:
        with self._lock:
            return self.invocations[n:]

    def count(self) -> int:
        with self._lock:
            return len(self.invocations)

    def _run(self, m: Mapping) -> None:
        while not self._stop.is_set():
            if m.label in self.paused:
                time.sleep(0.2)
                continue
            try:
                resp = self._sqs.receive_message(
                    QueueUrl=m.queue_url,
                    MaxNumberOfMessages=max(1, min(10, m.batch_size)),
                    WaitTimeSeconds=self.wait_seconds,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            except Exception as e:  # LocalStack going away at shutdown, etc.
                if self._stop.is_set():
                    return
                self.log(f"poller[{m.label}]: receive failed: {e}")
                time.sleep(1)
                continue
            msgs = resp.get("Messages") or []
            if msgs:
                self._deliver(m, msgs)

    def _deliver(self, m: Mapping, msgs: list[dict[str, Any]]) -> None:
        endpoint = self.invoke_endpoint(m)
        inv = Invocation(
            at=time.time(),
            label=m.label,
            function=m.function_name,
            endpoint=endpoint,
            message_ids=[x["MessageId"] for x in msgs],
            receive_counts=[int((x.get("Attributes") or {}).get("ApproximateReceiveCount", "0")) for x in msgs],
            bodies=[x["Body"] for x in msgs],
        )
        event = sqs_event(msgs, m.queue_arn, self.region)
        t0 = time.time()
        failed: set[str]
        try:
            r = self._lambda(endpoint).invoke(FunctionName=m.function_name, Payload=json.dumps(event).encode())
            raw = r["Payload"].read()
            inv.function_error = r.get("FunctionError")
            try:
                inv.payload = json.loads(raw) if raw else None
            except ValueError:
                inv.payload = raw.decode("utf-8", "replace")
            if inv.function_error:
                failed = set(inv.message_ids)
            else:
                failed = self._batch_item_failures(m, inv)
        except Exception as e:
            inv.function_error = f"invoke failed: {type(e).__name__}: {e}"
            failed = set(inv.message_ids)
        inv.seconds = time.time() - t0
        for x in msgs:
            if x["MessageId"] in failed:
                inv.failed.append(x["MessageId"])
                continue
            try:
                self._sqs.delete_message(QueueUrl=m.queue_url, ReceiptHandle=x["ReceiptHandle"])
                inv.deleted.append(x["MessageId"])
            except Exception as e:
                self.log(f"poller[{m.label}]: delete failed for {x['MessageId']}: {e}")
        with self._lock:
            self.invocations.append(inv)
        rc = ",".join(str(c) for c in inv.receive_counts)
        if inv.function_error:
            detail = inv.function_error
            if isinstance(inv.payload, dict):
                detail += f" {inv.payload.get('errorType', '')}: {str(inv.payload.get('errorMessage', ''))[:200]}"
            outcome = f"function error ({detail}); {len(inv.failed)} left for redelivery"
        elif inv.failed:
            outcome = f"{len(inv.deleted)} deleted, {len(inv.failed)} reported failed (left for redelivery)"
        else:
            outcome = f"{len(inv.deleted)} deleted"
        self.log(
            f"poller: {m.label} -> {m.function_name}: {len(msgs)} message(s) (receive count {rc}), "
            f"{inv.seconds * 1000:.0f} ms, {outcome}"
        )

    @staticmethod
    def _batch_item_failures(m: Mapping, inv: Invocation) -> set[str]:
        if not m.report_batch_item_failures:
            return set()
        p = inv.payload
        if not isinstance(p, dict) or not p.get("batchItemFailures"):
            return set()
        ids = set()
        for item in p["batchItemFailures"]:
            ident = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not ident or ident not in inv.message_ids:
                # Lambda treats a malformed failure list as a failure of the whole batch
                return set(inv.message_ids)
            ids.add(ident)
        return ids
