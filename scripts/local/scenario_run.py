"""One scenario: its starter variant and mocks, the event put on the bus, the wait for the
pipeline (executions, notifier, Slack or its DLQ), then the checks."""

from __future__ import annotations

import json
import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from alarm_run import run_alarm_scenario
from watchdog_run import run_watchdog_scenario
from checks import (
    check_attempts,
    check_failure,
    check_notifications,
    check_reruns,
    check_waits,
    kind_of,
    notifier_records,
    parse_notification,
)
from common import CLOCK, TERMINAL, Env, Fail, check, say
from history import Watcher, executions_for, history
from mocks import install_mocks
from scenarios import build_event
from watch import start_watch


@dataclass
class Result:
    name: str
    ok: bool
    why: str = ""
    seconds: float = 0.0
    transitions: list[int] = field(default_factory=list)
    first_slack_s: float | None = None


def put_event(e: Env, ev: dict[str, Any]) -> None:
    r = e.clients.events.put_events(
        Entries=[
            {
                "Source": ev["source"],
                "DetailType": ev["detail-type"],
                "Detail": json.dumps(ev["detail"]),
                "Resources": ev.get("resources") or [],
                "EventBusName": e.bus,
            }
        ]
    )
    check(r.get("FailedEntryCount", 0) == 0, f"PutEvents failed: {r.get('Entries')}")


def run_scenario(e: Env, sc: dict[str, Any]) -> Result:
    name = sc["name"]
    exp = sc.get("expect") or {}
    res = Result(name, False)
    timeout = float(sc.get("timeoutSeconds", e.args.scenario_timeout))
    t_start = time.time()
    deadline = t_start + timeout
    say("")
    say(f"=== scenario {name}: {sc.get('description', '')}")
    variant = sc.get("starter", "default")
    try:
        endpoint = start_watch(e, variant)
        e.starter_variant = variant
        if variant != "default":
            say(
                f"  starter: variant {variant} at {endpoint} ({', '.join(f'{k}={v}' for k, v in e.spec['starterVariants'][variant].items())})"
            )
        install_mocks(e, name)
        e.sink.reset()
        if "alarms" in sc:
            run_alarm_scenario(e, sc)
            res.ok = True
            return res
        if "watchdog" in sc:
            run_watchdog_scenario(e, sc, deadline)
            res.ok = True
            return res
        sk = sc.get("sink") or {}
        if "failNext" in sk:
            e.sink.fail_next(int(sk["failNext"]), int(sk.get("status", 500)))
            say(f"  slack sink: answers {sk.get('status', 500)} to the next {sk['failNext']} post(s)")
        if "down" in sk:
            e.sink.set_down(int(sk["down"]))
            say(f"  slack sink: down (answers {sk['down']} to every post)")
        ev, ev_path = build_event(e, sc)
        eid = ev["detail"]["eventID"]
        rp = ev["detail"].get("requestParameters") or {}
        say(
            f"  event: RunTask {rp.get('taskDefinition')} on {rp.get('cluster', 'default')}, startedBy="
            f"{rp.get('startedBy', '<absent>')}, failures={[f.get('reason') for f in (ev['detail'].get('responseElements') or {}).get('failures') or []]}"
        )
        say(f"         from {ev_path}, fresh eventID={eid}")
        pattern_match = e.clients.events.test_event_pattern(
            EventPattern=e.rule_pattern,
            Event=json.dumps({**ev, "time": ev["time"], "account": e.deployed.account, "region": e.deployed.region}),
        )["Result"]
        delivered = exp.get("delivered", True)
        check(
            bool(pattern_match) == delivered,
            f"the deployed rule's pattern (TestEventPattern) says match={pattern_match}, scenario expects delivered={delivered}",
        )
        inv0 = e.poller.count()
        slack0 = e.sink.last_seq()
        deliveries = int(sc.get("deliveries", 1))
        t_put = time.time()
        CLOCK["t0"] = t_put
        for i in range(deliveries):
            put_event(e, ev)
            say(f"  PutEvents #{i + 1} (+{time.time() - t_start:.1f} s)")
            if i + 1 < deliveries:
                time.sleep(float(sc.get("deliveryGapSeconds", 0.5)))

        watcher = Watcher(e, eid)
        want_execs = int(exp.get("executions", 1 if delivered else 0))
        want_kinds = list(exp.get("notifications") or [])
        want_dlq = list(exp.get("notifierDlq") or [])
        want_accepted = int(exp.get("slack", len(want_kinds) if not want_dlq else 0))

        def starter_msgs() -> int:
            n = 0
            for inv in e.poller.since(inv0):
                if inv.label == "starter":
                    n += sum(1 for b in inv.bodies if eid in b)
            return n

        dlq_found: list[dict[str, Any]] = []
        # once the executions are over, notifications have this long to arrive (SQS redeliveries)
        grace = float(sc.get("graceSeconds", 15))
        t_finished: float | None = None
        if not delivered:
            quiet = float(sc.get("quietSeconds", 4))
            while time.time() < t_put + quiet:
                watcher.step()
                time.sleep(0.5)
        else:
            # wait for: the deliveries reaching the starter, the executions finishing, the
            # notifications reaching the sink (or the DLQ)
            while True:
                execs = watcher.step()
                accepted = [p for p in e.sink.since(slack0) if p.accepted]
                done = (
                    starter_msgs() >= deliveries
                    and len(execs) >= want_execs
                    and all(x.get("status") in TERMINAL for x in execs)
                    and len(accepted) >= want_accepted
                )
                if want_dlq:
                    dlq_found = drain_dlq(e, eid, dlq_found)
                    done = done and len(dlq_found) >= len(want_dlq)
                if done:
                    break
                finished = (
                    starter_msgs() >= deliveries
                    and len(execs) >= want_execs
                    and all(x.get("status") in TERMINAL for x in execs)
                )
                if finished and t_finished is None:
                    t_finished = time.time()
                if t_finished is not None and time.time() - t_finished > grace:
                    say(f"  executions finished {grace:.0f} s ago and the rest did not happen: checking what did")
                    break
                if time.time() > deadline:
                    raise Fail(
                        f"timed out after {timeout:.0f} s: starter got {starter_msgs()}/{deliveries} deliveries, "
                        f"{len(execs)}/{want_execs} executions ({[x.get('status') for x in execs]}), "
                        f"slack accepted {len(accepted)}/{want_accepted}"
                        + (f", notifier DLQ {len(dlq_found)}/{len(want_dlq)}" if want_dlq else "")
                    )
                time.sleep(0.4)
            time.sleep(float(sc.get("settleSeconds", 1.5)))  # catch anything extra
            watcher.step()

        posts = e.sink.since(slack0)
        if posts:
            res.first_slack_s = posts[0].at - t_put
        execs = executions_for(e, eid)
        invs = e.poller.since(inv0)

        # -- assertions ---------------------------------------------------------------------
        if not delivered:
            check(starter_msgs() == 0, f"the rule delivered the event to the starter queue {starter_msgs()} time(s)")
            check(not execs, f"{len(execs)} execution(s) started, want none")
            check(not posts, f"{len(posts)} Slack post(s), want none")
            say(f"  rule did not match; no queue message, no execution, no Slack post in {sc.get('quietSeconds', 4)} s")
            res.ok = True
            return res
        check(starter_msgs() == deliveries, f"starter received {starter_msgs()} deliveries, want {deliveries}")
        check(len(execs) == want_execs, f"{len(execs)} executions, want {want_execs}")
        for x in execs:
            d = e.clients.sfn.describe_execution(executionArn=x["executionArn"])
            x["status"] = d["status"]
            h = history(e, x["executionArn"])
            res.transitions.append(sum(1 for ev in h if ev["type"].endswith("StateEntered")))
            if "status" in exp:
                check(d["status"] == exp["status"], f"execution {x['name']} is {d['status']}, want {exp['status']}")
            if "endState" in exp:
                entered = [ev["stateEnteredEventDetails"]["name"] for ev in h if "stateEnteredEventDetails" in ev]
                check(bool(entered) and entered[-1] == exp["endState"], f"last state {entered[-1:]}, want {exp['endState']}")
            check_reruns(e, ev, h, exp)
            check_waits(h, exp)
            check_failure(h)
            check_attempts(e, eid, invs, posts, h)
        check_notifications(e, eid, invs, posts, want_kinds, want_accepted, execs, exp)
        if want_dlq:
            kinds = [kind_of(n) for n in dlq_found]
            check(sorted(kinds) == sorted(want_dlq), f"notifier DLQ holds {kinds}, want {want_dlq}")
            tries = len(notifier_records(e, invs, eid))
            say(f"  notifier DLQ: {kinds}, moved there by SQS's redrive after {tries} failed notifier invocations")
        if exp.get("redelivered"):
            nrec = notifier_records(e, invs, eid)
            redeliv = [inv for inv, _ in nrec if inv.deleted and max(inv.receive_counts) >= 2]
            check(bool(redeliv), "no notification was delivered on an SQS redelivery (receive count >= 2)")
            say(f"  Slack post succeeded on SQS redelivery (receive count {max(redeliv[0].receive_counts)})")
        if e.starter_dlq_url:
            n = int(
                e.clients.sqs.get_queue_attributes(
                    QueueUrl=e.starter_dlq_url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]["ApproximateNumberOfMessages"]
            )
            check(n == 0, f"{n} event(s) in the starter's DLQ")
        res.ok = True
        return res
    except Fail as f:
        res.why = str(f)
        return res
    except Exception as ex:  # a harness or AWS-API error is a failure of this scenario, not a crash  # noqa: BLE001
        tb = traceback.extract_tb(ex.__traceback__)[-1]
        res.why = f"{type(ex).__name__}: {ex} (at {os.path.basename(tb.filename)}:{tb.lineno})"
        return res
    finally:
        res.seconds = time.time() - t_start
        e.sink.reset()
        e.starter_variant = "default"


def drain_dlq(e: Env, eid: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not e.notifier_dlq_url:
        raise Fail("the template has no notifier DLQ")
    r = e.clients.sqs.receive_message(
        QueueUrl=e.notifier_dlq_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
    )
    for m in r.get("Messages") or []:
        n = parse_notification(m["Body"])
        if n and n.get("metadata", {}).get("additionalContext", {}).get("eventId") == eid:
            n = dict(n)
            n["receives"] = int(m.get("Attributes", {}).get("ApproximateReceiveCount", "0"))
            found.append(n)
            e.clients.sqs.delete_message(QueueUrl=e.notifier_dlq_url, ReceiptHandle=m["ReceiptHandle"])
    return found
