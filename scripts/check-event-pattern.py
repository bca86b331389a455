#!/usr/bin/env python3
"""Check the EventBridge rules' patterns with TestEventPattern.

Reads RunTaskFailureRule's EventPattern from cloudformation/template.yaml and asks an EventBridge
endpoint (LocalStack on 127.0.0.1) whether each tests/fixtures/events/*.json event matches, against
the expectation table below. A fixture without an entry is a failure: add it here with its verdict.
Also checks a few events derived from the fixtures (no failures, another eventName, ...).
Then the watchdog's TaskStateChangeRule (docs/CONTRACT.md §10) against ECS Task State Change events
derived from TASK_STATE_CHANGE below: a task a schedule or a re-run started, in a state the recorder
keeps, matches; a task started by hand, by a service or in another state does not.

Usage: ENDPOINT=http://127.0.0.1:4566 scripts/check-event-pattern.py
Needs boto3 and PyYAML (both in the LocalStack venv). Prints one line per event and a final
"N passed, M failed" line; exits 1 when anything failed, 2 on a usage error.
"""

import copy
import glob
import json
import os
import sys

import boto3
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(ROOT, "cloudformation", "template.yaml")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "events")
RULE = "RunTaskFailureRule"

# fixture file name -> should the rule match it?
# The rule forwards every launch failure (the starter decides what is retryable); it drops only the
# re-runs themselves: startedBy "AWS Step Functions" (the reference design) and "ecs-rerun/<eventID>".
EXPECTED = {
    "cloudtrail_runtask_agent.json": True,
    "cloudtrail_runtask_agent-no-startedby.json": True,
    "cloudtrail_runtask_attribute.json": True,
    "cloudtrail_runtask_capacity-provider-overrides.json": True,
    "cloudtrail_runtask_fargate-capacity-unavailable.json": True,
    "cloudtrail_runtask_mixed-reasons.json": True,
    "cloudtrail_runtask_partial-placement.json": True,
    "cloudtrail_runtask_unknown-reason.json": True,
    "cloudtrail_runtask_startedby-stepfunctions.json": False,
    "cloudtrail_runtask_startedby-ecs-rerun.json": False,
    # EventBridge Scheduler's startedBy (chronos-schedule/<name>, cut to 36 characters)
    "cloudtrail_runtask_scheduler.json": True,
    # another state machine's request-response RunTask: delivered; the starter decides (notify)
    "cloudtrail_runtask_other-state-machine.json": True,
    # this stack's own state machine role, even without the marker: the second loop guard
    "cloudtrail_runtask_own-state-machine.json": False,
    # the watchdog's re-run of a task that stopped before running (STOPPED_BEFORE_RUNNING): sent to
    # the starter's queue directly, never through the rule, which would take it like any failure
    "cloudtrail_runtask_stopped-before-running.json": True,
}

# What `!GetAtt StateMachineRole.Arn` stands for in these checks: the role ARN of the
# own-state-machine fixture (the deployed stack's role in the pipeline scenarios).
GETATT = {"StateMachineRole.Arn": "arn:aws:iam::123456789012:role/ecs-rerun-StateMachineRole-EXAMPLE1A2B"}


def _detail(event):
    return event.setdefault("detail", {})


def _no_failures(event):
    _detail(event).setdefault("responseElements", {})["failures"] = []


def _no_response(event):
    _detail(event)["responseElements"] = None


def _stop_task(event):
    _detail(event)["eventName"] = "StopTask"


def _started_by(value):
    def change(event):
        _detail(event).setdefault("requestParameters", {})["startedBy"] = value

    return change


def _no_session_context(event):
    _detail(event)["userIdentity"] = {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEUSER000001",
        "arn": "arn:aws:iam::123456789012:user/alice",
        "accountId": "123456789012",
    }


def _session_issuer(arn):
    def change(event):
        ctx = _detail(event).setdefault("userIdentity", {}).setdefault("sessionContext", {})
        ctx.setdefault("sessionIssuer", {})["arn"] = arn

    return change


def _other_source(event):
    event["source"] = "aws.ec2"
    _detail(event)["eventSource"] = "ec2.amazonaws.com"


# (name, base fixture, change, expected): edge cases no fixture covers.
DERIVED = [
    ("derived: launched fine (failures [])", "cloudtrail_runtask_agent.json", _no_failures, False),
    ("derived: responseElements null", "cloudtrail_runtask_agent.json", _no_response, False),
    ("derived: eventName StopTask", "cloudtrail_runtask_agent.json", _stop_task, False),
    ("derived: another event source", "cloudtrail_runtask_agent.json", _other_source, False),
    ("derived: startedBy ecs-rerun/other-id", "cloudtrail_runtask_agent.json", _started_by("ecs-rerun/other-id"), False),
    ("derived: startedBy ecs-rerun-like (no slash)", "cloudtrail_runtask_agent.json", _started_by("ecs-rerunner"), True),
    ("derived: startedBy 'AWS Step Functions x'", "cloudtrail_runtask_agent.json", _started_by("AWS Step Functions x"), True),
    ("derived: startedBy a person", "cloudtrail_runtask_agent.json", _started_by("alice"), True),
    ("derived: an IAM user, no sessionContext", "cloudtrail_runtask_agent-no-startedby.json", _no_session_context, True),
    (
        "derived: our own role with the marker",
        "cloudtrail_runtask_startedby-ecs-rerun.json",
        _session_issuer(GETATT["StateMachineRole.Arn"]),
        False,
    ),
    (
        "derived: another role whose name extends ours",
        "cloudtrail_runtask_agent.json",
        _session_issuer(GETATT["StateMachineRole.Arn"] + "-copy"),
        True,
    ),
]


TASK_RULE = "TaskStateChangeRule"

# An ECS Task State Change as EventBridge delivers it (a scheduled Fargate task, anonymised).
TASK_STATE_CHANGE = {
    "version": "0",
    "id": "03c66a59-3ef3-4751-8305-4cde29d97774",
    "detail-type": "ECS Task State Change",
    "source": "aws.ecs",
    "account": "123456789012",
    "time": "2026-03-01T19:14:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ecs:us-east-1:123456789012:task/batch/de22550b847afb67f15f7cb477378191"],
    "detail": {
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/batch",
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/batch/de22550b847afb67f15f7cb477378191",
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/poll-queue:2",
        "startedBy": "events-rule/poll-queue",
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "launchType": "FARGATE",
        "createdAt": "2026-03-01T19:13:20Z",
        "version": 2,
        "containers": [
            {
                "containerArn": "arn:aws:ecs:us-east-1:123456789012:container/batch/c1fd8b69d4334023a24724bbe099b970",
                "name": "poller",
                "lastStatus": "RUNNING",
            }
        ],
        "startedAt": "2026-03-01T19:14:00Z",
    },
}


def _task(started_by=None, last_status=None, **top):
    """TASK_STATE_CHANGE with detail.startedBy / detail.lastStatus set (a value of False removes
    the field) and top-level fields replaced."""

    def change(event):
        for key, value in (("startedBy", started_by), ("lastStatus", last_status)):
            if value is False:
                event["detail"].pop(key, None)
            elif value is not None:
                event["detail"][key] = value
        event.update(top)

    return change


# (name, change, expected)
TASK_CASES = [
    ("task: started by a rule (events-rule/x), RUNNING", _task(), True),
    ("task: started by a rule, PROVISIONING", _task(last_status="PROVISIONING"), True),
    ("task: started by a rule, PENDING", _task(last_status="PENDING"), True),
    ("task: started by a rule, STOPPED", _task(last_status="STOPPED"), True),
    ("task: started by Scheduler (chronos-schedule/x)", _task(started_by="chronos-schedule/nightly-report"), True),
    ("task: an ecs-rerun re-run (ecs-rerun/<eventID>)", _task(started_by="ecs-rerun/6f1c9c1e-2b0a-4c1e-9a55-3f0d8e5c1a2b"), True),
    ("task: started by hand (startedBy alice)", _task(started_by="alice"), False),
    ("task: started by hand (no startedBy)", _task(started_by=False), False),
    ("task: a service's task (ecs-svc/...)", _task(started_by="ecs-svc/1234567890123456789"), False),
    ("task: the prefix is anchored (xevents-rule/x)", _task(started_by="xevents-rule/poll-queue"), False),
    ("task: DEPROVISIONING is not kept", _task(last_status="DEPROVISIONING"), False),
    ("task: ACTIVATING is not kept", _task(last_status="ACTIVATING"), False),
    ("task: another detail-type", _task(**{"detail-type": "ECS Container Instance State Change"}), False),
    ("task: another source", _task(source="aws.ec2"), False),
]


class _TolerantLoader(yaml.SafeLoader):
    """Reads CloudFormation YAML: short-form intrinsics (!Ref, !Sub, ...) become plain values."""


class _UnresolvedGetAtt(str):
    """A `!GetAtt` this script has no stand-in for (fine unless the pattern uses it)."""


def _construct_tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            return GETATT[value] if value in GETATT else _UnresolvedGetAtt(value)
        return value
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


_TolerantLoader.add_multi_constructor("!", _construct_tagged)


def event_pattern(rule=RULE):
    with open(TEMPLATE, encoding="utf-8") as f:
        template = yaml.load(f, Loader=_TolerantLoader)  # noqa: S506 - SafeLoader subclass
    try:
        pattern = template["Resources"][rule]["Properties"]["EventPattern"]
    except KeyError:
        sys.exit(f"check-event-pattern: {TEMPLATE} has no Resources.{rule}.Properties.EventPattern")
    unresolved = [v for v in _leaves(pattern) if isinstance(v, _UnresolvedGetAtt)]
    if unresolved:
        sys.exit(f"check-event-pattern: the pattern uses !GetAtt {unresolved[0]}: add what it stands for to GETATT")
    return pattern


def _leaves(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _leaves(v)
    elif isinstance(node, list):
        for v in node:
            yield from _leaves(v)
    else:
        yield node


def main():
    endpoint = os.environ.get("ENDPOINT")
    if not endpoint:
        print("check-event-pattern: set ENDPOINT to the EventBridge endpoint, e.g. http://127.0.0.1:4566", file=sys.stderr)
        return 2
    events = boto3.client(
        "events",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )
    pattern = json.dumps(event_pattern())

    cases = []
    fixtures = sorted(glob.glob(os.path.join(FIXTURES, "*.json")))
    if not fixtures:
        print(f"check-event-pattern: no fixtures in {FIXTURES}", file=sys.stderr)
        return 2
    loaded = {}
    for path in fixtures:
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            loaded[name] = json.load(f)
        cases.append((name, loaded[name], EXPECTED.get(name)))
    for name, base, change, want in DERIVED:
        if base not in loaded:
            cases.append((name, None, want))
            continue
        event = copy.deepcopy(loaded[base])
        change(event)
        cases.append((name, event, want))
    cases = [(pattern, name, event, want) for name, event, want in cases]
    task_pattern = json.dumps(event_pattern(TASK_RULE))
    for name, change, want in TASK_CASES:
        event = copy.deepcopy(TASK_STATE_CHANGE)
        change(event)
        cases.append((task_pattern, name, event, want))

    passed = failed = 0
    for pattern, name, event, want in cases:
        if event is None:
            verdict, ok = "base fixture missing", False
        elif want is None:
            verdict, ok = "no expectation in EXPECTED (add one)", False
        else:
            try:
                got = events.test_event_pattern(EventPattern=pattern, Event=json.dumps(event))["Result"]
            except Exception as err:  # noqa: BLE001 - report any API error as this case's failure
                verdict, ok = f"TestEventPattern error: {err}", False
            else:
                ok = got == want
                verdict = f"{'match' if got else 'no match'} (expected {'match' if want else 'no match'})"
        passed += ok
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {verdict}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
