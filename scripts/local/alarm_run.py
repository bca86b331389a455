"""The alarms scenario: every CloudWatch alarm of the deployed stack, driven into ALARM with
`SetAlarmState` (LocalStack runs the alarm actions of a state change exactly like that; it has no
SQS, Lambda, Step Functions or SNS metrics to evaluate), must reach the operator topic, and
reaches Slack through the notification topic, the notifier queue and the notifier (rendered as an
`alarm`) unless it watches the Slack path itself: those go to the operator topic only, so a broken
notifier can never hide its own alarm, nor loop."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import boto3

import sink as sinkmod
from common import Env, Fail, check, say

OPERATOR_TOPIC = "ecs-rerun-local-operator"


def operator_topic(endpoint: str, region: str) -> tuple[str, str]:
    """Create the operator topic the stack is deployed with (parameter OperatorTopicArn) and a
    queue subscribed to it that the scenario reads. Returns (topic ARN, queue URL)."""
    sns = boto3.client("sns", endpoint_url=endpoint, region_name=region)
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=region)
    topic = sns.create_topic(Name=OPERATOR_TOPIC)["TopicArn"]
    q = sqs.create_queue(QueueName=f"{OPERATOR_TOPIC}-inbox")["QueueUrl"]
    q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q_arn, Attributes={"RawMessageDelivery": "true"})
    sqs.purge_queue(QueueUrl=q)
    return topic, q


def _drain(sqs: Any, url: str, seconds: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    end = time.time() + seconds
    while time.time() < end:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get("Messages") or []:
            try:
                out.append(json.loads(m["Body"]))
            except ValueError:
                out.append({"raw": m["Body"]})
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return out


def run_alarms(e: Env, sc: dict[str, Any], operator_queue: str) -> list[str]:
    """Drive every alarm; return one line per alarm for the log. Raises Fail on any mismatch."""
    region = e.deployed.region
    cw = boto3.client("cloudwatch", endpoint_url=e.args.endpoint, region_name=region)
    sqs = e.clients.sqs
    topic_lid = e.deployed.one("AWS::SNS::Topic") if len(e.deployed.of_type("AWS::SNS::Topic")) == 1 else None
    notification_topic = e.deployed.outputs.get("NotificationTopicArn") or (
        e.deployed.physical[topic_lid] if topic_lid else None
    )
    check(bool(notification_topic), "the stack has no NotificationTopicArn output")
    names = [e.deployed.physical[lid] for lid in e.deployed.of_type("AWS::CloudWatch::Alarm")]
    want_min = int(sc.get("alarms", {}).get("atLeast", 1))
    check(len(names) >= want_min, f"the stack deploys {len(names)} alarm(s), the scenario wants at least {want_min}")
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    check(set(alarms) == set(names), f"DescribeAlarms knows {sorted(alarms)}, the stack deployed {sorted(names)}")
    _drain(sqs, operator_queue, 1)
    lines: list[str] = []
    slack_path = set(sc.get("alarms", {}).get("slackPathAlarms") or [])
    for name in sorted(names):
        a = alarms[name]
        actions = a.get("AlarmActions") or []
        to_slack = notification_topic in actions
        logical = next(lid for lid in e.deployed.of_type("AWS::CloudWatch::Alarm") if e.deployed.physical[lid] == name)
        check(
            to_slack == (logical not in slack_path),
            f"alarm {logical}: actions {actions}; it {'watches' if logical in slack_path else 'does not watch'} the Slack path, "
            f"so it must {'not ' if logical in slack_path else ''}notify the notification topic",
        )
        seq0 = e.sink.last_seq()
        cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason=f"ecs-rerun local pipeline: drives {logical}")
        got = _drain(sqs, operator_queue, 3)
        mine = [m for m in got if m.get("AlarmName") == name]
        check(len(mine) == 1, f"alarm {logical}: the operator topic received {len(mine)} message(s) for it, want 1 ({got})")
        check(mine[0].get("NewStateValue") == "ALARM", f"alarm {logical}: operator message {mine[0]}")
        if to_slack:
            ok = e.sink.wait_for(lambda ps: any(name in json.dumps(p.body) for p in ps if p.seq > seq0), 20)
            check(ok, f"alarm {logical}: no Slack post names it within 20 s")
            posts = [p for p in e.sink.since(seq0) if name in json.dumps(p.body)]
            body = posts[0].body
            text = body.get("text", "") if isinstance(body, dict) else ""
            check(text.startswith(f"ALARM: {name}"), f"alarm {logical}: Slack text fallback {text!r} does not start with 'ALARM: {name}'")
            head = sinkmod.header(body)
            check(
                bool(re.search(e.spec["slackHeaders"]["alarm"], head)) and name in head,
                f"alarm {logical}: the Slack header {head!r} is not the alarm rendering (slackHeaders.alarm)",
            )
            lines.append(f"  alarm {logical}: operator topic + Slack ({text[:100]})")
        else:
            time.sleep(float(sc.get("alarms", {}).get("quietSeconds", 2)))
            leaked = [p for p in e.sink.since(seq0) if name in json.dumps(p.body)]
            if leaked:
                raise Fail(f"alarm {logical} watches the Slack path but reached Slack: {leaked[0].body}")
            lines.append(f"  alarm {logical}: operator topic only (the Slack path)")
        # back to OK quietly: OK actions, if any, must not fail the next alarm's checks
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="ecs-rerun local pipeline: reset")
        _drain(sqs, operator_queue, 1)
    if not lines:
        raise Fail("no alarm was driven")
    return lines


def run_alarm_scenario(e: Env, sc: dict[str, Any]) -> None:
    operator_queue = getattr(e, "operator_queue", None)
    check(bool(operator_queue), "the runner created no operator topic inbox")
    for line in run_alarms(e, sc, operator_queue):
        say(line)
