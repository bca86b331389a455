"""The assertions every delivered scenario runs on each execution's history, on what the notifier
received and on what reached Slack (scripts/local/README.md, "Scenarios")."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import sink as sinkmod
from common import Env, Fail, check, say, short
from poller import Invocation


def pascal(v: Any) -> Any:
    """camelCase CloudTrail requestParameters -> PascalCase RunTask input (keys only, recursively)."""
    if isinstance(v, dict):
        return {(k[:1].upper() + k[1:]): pascal(x) for k, x in v.items()}
    if isinstance(v, list):
        return [pascal(x) for x in v]
    return v


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: unexpected {short(b[k], 60)}")
            elif k not in b:
                out.append(f"{path}.{k}: missing (want {short(a[k], 60)})")
            else:
                out.extend(diff(a[k], b[k], f"{path}.{k}"))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out.extend(diff(x, y, f"{path}[{i}]"))
        return out
    return [] if a == b else [f"{path}: want {short(a, 60)}, got {short(b, 60)}"]



def notifier_records(e: Env, invs: list[Invocation], event_id: str) -> list[tuple[Invocation, dict[str, Any]]]:
    out = []
    for inv in invs:
        if inv.label != "notifier":
            continue
        for mid, body in zip(inv.message_ids, inv.bodies, strict=True):
            n = parse_notification(body)
            if n and n.get("metadata", {}).get("additionalContext", {}).get("eventId") == event_id:
                out.append((inv, {"messageId": mid, "notification": n}))
    return out


def parse_notification(body: str) -> dict[str, Any] | None:
    try:
        env = json.loads(body)
        msg = env.get("Message", body) if isinstance(env, dict) and "TopicArn" in env else body
        n = json.loads(msg) if isinstance(msg, str) else msg
        return n if isinstance(n, dict) else None
    except ValueError:
        return None


def kind_of(n: dict[str, Any]) -> str:
    return str(n.get("metadata", {}).get("additionalContext", {}).get("kind", "?"))


RUN_TASK = ("aws-sdk:ecs", "runTask")  # TaskScheduled resourceType, resource of "Rerun Task"


def rerun_calls(h: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The TaskScheduled events of every ECS call, checked to be the SDK integration's RunTask."""
    calls = [x for x in h if x["type"] == "TaskScheduled" and "ecs" in x["taskScheduledEventDetails"]["resourceType"]]
    for c in calls:
        d = c["taskScheduledEventDetails"]
        check(
            (d.get("resourceType"), d.get("resource")) == RUN_TASK,
            f"an ECS call through {d.get('resourceType')}:{d.get('resource')}, want {':'.join(RUN_TASK)}",
        )
    return calls


def check_reruns(e: Env, ev: dict[str, Any], h: list[dict[str, Any]], exp: dict[str, Any]) -> None:
    """Every Rerun Task call as LocalStack recorded it in TaskScheduled (what would go to ECS): the
    original request PascalCased, Count = the missing tasks, StartedBy = the marker, that
    attempt's ClientToken, nothing else."""
    calls = rerun_calls(h)
    plan = json.loads(h[0]["executionStartedEventDetails"]["input"])
    if "rerunCalls" in exp:
        want_calls = exp["rerunCalls"]
        if want_calls == "maxAttempts":  # N = the plan's maxAttempts (the starter's MAX_ATTEMPTS)
            want_calls = int(plan["maxAttempts"])
            env_max = e.deployed.function_env.get("ecs-rerun-starter", {}).get("MAX_ATTEMPTS")
            if env_max is not None and e.starter_variant == "default":
                check(
                    str(want_calls) == str(env_max), f"plan maxAttempts {want_calls} != starter MAX_ATTEMPTS {env_max}"
                )
        check(len(calls) == want_calls, f"{len(calls)} Rerun Task (aws-sdk:ecs:runTask) calls, want {want_calls}")
    if not calls:
        return
    d = ev["detail"]
    rp = d.get("requestParameters") or {}
    requested = int(rp.get("count", 1))
    started = len((d.get("responseElements") or {}).get("tasks") or [])
    want = pascal({k: v for k, v in rp.items() if k not in ("count", "startedBy", "clientToken")})
    want.setdefault("Cluster", "default")
    want["Count"] = int(exp.get("count", requested - started))
    want["StartedBy"] = "ecs-rerun/" + d["eventID"]
    # CONTRACT §4: the token of re-run n = hex(SHA-256("<executionName>#<n>")). A call the
    # Retry repeats keeps its re-run's token, so tokens are compared per re-run (Wait before each).
    attempt = 0
    tokens: list[str] = []
    for c in calls:
        attempt = sum(1 for x in h if x["type"] == "WaitStateExited" and x["id"] < c["id"])
        recorded = c["taskScheduledEventDetails"].get("parameters") or ""
        got = json.loads(recorded) if recorded else {}
        check(bool(got), f"TaskScheduled recorded no parameters for Rerun Task: {recorded!r}")
        token = hashlib.sha256(f"{plan['executionName']}#{attempt}".encode()).hexdigest()
        problems = diff(dict(want, ClientToken=token), got)
        check(
            not problems,
            f"recorded RunTask parameters of re-run {attempt} differ from the request: " + "; ".join(problems[:6]),
        )
        if token not in tokens:
            tokens.append(token)
    check(len(tokens) == attempt, f"{len(tokens)} distinct ClientTokens for {attempt} re-runs")
    say(
        f"  {len(calls)} Rerun Task call(s) in {attempt} re-run(s), aws-sdk:ecs:runTask; recorded TaskScheduled "
        f"parameters = original request (PascalCase) with Count={want['Count']}, StartedBy={want['StartedBy']}, "
        f"ClientToken = sha256(<execution name>#<re-run>); keys: {', '.join(sorted([*want, 'ClientToken']))}"
    )
    if exp.get("showParameters"):
        say("  TaskScheduled parameters of the first Rerun Task, verbatim:")
        say("    " + calls[0]["taskScheduledEventDetails"]["parameters"])


def check_waits(h: list[dict[str, Any]], exp: dict[str, Any]) -> None:
    """Each Wait Before Rerun's duration from the history's timestamps, against the plan's
    waitSeconds (and the scenario's `waits`: what the plan must have computed)."""
    plan = json.loads(h[0]["executionStartedEventDetails"]["input"])
    entered = [x["timestamp"] for x in h if x["type"] == "WaitStateEntered"]
    exited = [x["timestamp"] for x in h if x["type"] == "WaitStateExited"]
    check(len(entered) == len(exited), "a Wait state never exited")
    waited = [(b - a).total_seconds() for a, b in zip(entered, exited, strict=True)]
    want = [float(w) for w in plan["waitSeconds"][: len(waited)]]
    if "waits" in exp:
        check(
            plan["waitSeconds"][: len(exp["waits"])] == exp["waits"],
            f"plan waitSeconds {plan['waitSeconds']}, want {exp['waits']} first",
        )
        check(len(waited) == len(exp["waits"]), f"{len(waited)} waits, want {len(exp['waits'])}")
    for i, (got, w) in enumerate(zip(waited, want, strict=True)):
        check(w - 0.2 <= got <= w + 2.0, f"wait {i + 1} lasted {got:.2f} s, the plan says {w:.0f} s")
    if waited:
        say(f"  waits before the re-runs (history timestamps): {', '.join(f'{x:.2f} s' for x in waited)}; plan {want}")


def check_failure(h: list[dict[str, Any]]) -> None:
    """No execution may end in an error the definition does not raise itself: a States.Runtime (or
    any other uncaught error) would mean no outcome notice was published."""
    for x in h:
        details = next((v for k, v in x.items() if k.endswith("EventDetails")), None) or {}
        check(details.get("error") != "States.Runtime", f"States.Runtime: {short(details.get('cause', ''), 200)}")
        if x["type"] == "ExecutionFailed":
            err = details.get("error", "")
            check(err.startswith("EcsRerun."), f"execution failed with {err!r}, not one of its own Fail states")


def check_attempts(
    e: Env, eid: str, invs: list[Invocation], posts: list[sinkmod.Post], h: list[dict[str, Any]]
) -> None:
    """The attempt numbers in the notices and in both Slack posts: the first says re-run 1 of N
    is next (attempt 0), the outcome says which re-run it was."""
    plan = json.loads(h[0]["executionStartedEventDetails"]["input"])
    reruns = sum(1 for x in h if x["type"] == "WaitStateExited")
    max_attempts = int(plan["maxAttempts"])
    texts = [sinkmod.message_text(p.body) for p in posts if p.accepted]
    for _, rec in notifier_records(e, invs, eid):
        n = rec["notification"]
        ctx = n["metadata"]["additionalContext"]
        kind = kind_of(n)
        want = 0 if kind in ("launch-failed", "not-retryable") else reruns
        check(ctx.get("attempt") == str(want), f"{kind} notice says attempt {ctx.get('attempt')}, want {want}")
        check(ctx.get("maxAttempts") == str(max_attempts), f"{kind} notice says maxAttempts {ctx.get('maxAttempts')}")
        phrase = {
            "launch-failed": f"re-run 1 of {max_attempts}",
            "recovered": f"re-run {reruns} of {max_attempts}",
            "partially-recovered": f"Re-run {reruns} of {max_attempts}",
            "gave-up": f"{reruns} of {max_attempts}",
        }.get(kind)
        if phrase and texts:
            check(any(phrase in t for t in texts), f"no Slack post says {phrase!r} for {kind}: {texts}")


def check_notifications(
    e: Env,
    eid: str,
    invs: list[Invocation],
    posts: list[sinkmod.Post],
    want_kinds: list[str],
    want_accepted: int,
    execs: list[dict[str, Any]],
    exp: dict[str, Any],
) -> None:
    # what the state machine published (seen by the notifier's queue), deduplicated by message id
    seen: dict[str, dict[str, Any]] = {}
    for _, rec in notifier_records(e, invs, eid):
        seen.setdefault(rec["messageId"], rec["notification"])
    kinds = [kind_of(n) for n in seen.values()]
    check(sorted(kinds) == sorted(want_kinds), f"notifications published {kinds}, want {want_kinds}")
    accepted = [p for p in posts if p.accepted]
    check(len(accepted) == want_accepted, f"Slack received {len(accepted)} message(s), want {want_accepted}")
    if "slackAttempts" in exp:
        check(len(posts) == exp["slackAttempts"], f"Slack saw {len(posts)} post attempts, want {exp['slackAttempts']}")
    if want_accepted == 0:
        return
    headers_re = e.spec.get("slackHeaders") or {}
    # every published notification must be in Slack, recognisable and with its key facts
    remaining = list(accepted)
    for n in seen.values():
        kind = kind_of(n)
        rx = headers_re.get(kind)
        ctx = n["metadata"]["additionalContext"]
        match = None
        for p in remaining:
            head = sinkmod.header(p.body)
            if rx is None or re.search(rx, head):
                match = p
                break
        if match is None:
            raise Fail(
                f"no Slack message with a header matching {rx!r} for {kind} "
                f"(headers: {[sinkmod.header(p.body) for p in remaining]})"
            )
        remaining.remove(match)
        text = sinkmod.message_text(match.body)
        facts = []
        if kind in ("recovered", "partially-recovered"):
            arns = json.loads(ctx.get("taskArns") or "[]")
            check(bool(arns), f"{kind} notice without task ARNs")
            facts += [a.rsplit("/", 1)[-1] for a in arns]  # the task id (links carry it; text shows it)
        if kind == "gave-up":
            facts += [f.get("Reason") for f in json.loads(ctx.get("failures") or "[]") if f.get("Reason")]
        if kind in ("launch-failed", "not-retryable"):
            facts += [r.strip() for r in (ctx.get("reasons") or "").split(",") if r.strip()]
            why = ctx.get("why") or ""
            # the message may lead with its own "Not retried" label instead of the plan's prefix
            forms = {why, re.sub(r"(?i)^not retried:\s*", "", why)}
            check(
                bool(why) and any(f in text or slack_escape(f) in text for f in forms),
                f"Slack {kind} message does not say why: {why!r}",
            )
        facts.append(ctx.get("clusterName") or "")
        for fact in [f for f in facts if f]:
            check(fact in text, f"Slack {kind} message does not show {fact!r}")


def slack_escape(t: str) -> str:
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
