"""Stack UPDATE from the previous release on LocalStack, then delete, as an upgrade would go.

1. The previous release: the newest ``v*`` tag, else the commit in cloudformation/previous-release;
   its template.yaml and rerun.asl.json come from ``git show <rev>:…``.
2. Create the stack from that template (transformed as scripts/local/cfn.py does for every local
   deploy), then UPDATE it to the working tree's template. The update must complete.
3. After the update the pipeline still carries events: a CloudTrail RunTask failure put on the bus
   reaches the starter queue through the rule; a notice published to the notification topic
   reaches the notifier queue through the subscription; the new resources are in place (the rule's
   DLQ and its policy, the notifier DLQ's policy, the alarms). LocalStack's UPDATE does not apply
   a changed rule target, a replaced log group, or a subscription's new attributes (it
   re-subscribes and SNS refuses, see stack.update): the rule target's DLQ and RetryPolicy, the log
   group under /aws/vendedlogs/states/ and the subscription's redrive policy are checked on a
   created stack instead (step 4).
4. Delete: with RetainDeadLetterQueues=true the three DLQs outlive a created stack, and the DLQ
   the update created outlives the upgraded one (LocalStack does not apply a DeletionPolicy that an
   update changed; reported, not counted); a stack with false loses them.

Prints one line per check and "N passed, M failed".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import stack as stackmod

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DLQS = ("StarterDeadLetterQueue", "RuleDeadLetterQueue", "NotifierDeadLetterQueue")


def previous_release() -> str:
    tags = subprocess.run(
        ["git", "-C", ROOT, "tag", "--list", "v*", "--sort=-v:refname"], capture_output=True, text=True, check=True
    ).stdout.split()
    if tags:
        return tags[0]
    with open(os.path.join(ROOT, "cloudformation", "previous-release")) as f:
        revs = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
    if len(revs) != 1:
        raise SystemExit("error: cloudformation/previous-release must hold exactly one commit")
    return revs[0]


def git_show(rev: str, path: str, out_dir: str) -> str:
    r = subprocess.run(["git", "-C", ROOT, "show", f"{rev}:{path}"], capture_output=True)
    if r.returncode != 0:
        raise SystemExit(f"error: git show {rev}:{path}: {r.stderr.decode().strip()}")
    dest = os.path.join(out_dir, os.path.basename(path))
    with open(dest, "wb") as f:
        f.write(r.stdout)
    return dest


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, ok: bool, what: str, detail: Any = "") -> None:
        if ok:
            self.passed += 1
            print(f"PASS  {what}")
        else:
            self.failed += 1
            print(f"FAIL  {what}{': ' + str(detail) if detail != '' else ''}")


def receive(c: stackmod.Clients, url: str, seconds: float = 15) -> list[dict[str, Any]]:
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = c.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages") or []
        if got:
            return got
    return []


def queue_exists(c: stackmod.Clients, url: str) -> bool:
    try:
        c.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return True
    except c.sqs.exceptions.QueueDoesNotExist:
        return False
    except Exception as e:  # LocalStack answers AWS.SimpleQueueService.NonExistentQueue
        if "NonExistentQueue" in str(e) or "QueueDoesNotExist" in str(e):
            return False
        raise


def rule_target(c: stackmod.Clients, d: stackmod.Deployed) -> dict[str, Any]:
    # RunTaskFailureRule (the one rule of older templates; the watchdog adds TaskStateChangeRule)
    lids = d.of_type("AWS::Events::Rule")
    lid = "RunTaskFailureRule" if "RunTaskFailureRule" in lids else d.one("AWS::Events::Rule")
    rule = d.physical[lid].rsplit("/", 1)[-1]
    targets = c.events.list_targets_by_rule(Rule=rule)["Targets"]
    return targets[0] if targets else {}


def delete(c: stackmod.Clients, name: str) -> None:
    c.cfn.delete_stack(StackName=name)
    c.cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})


def main() -> int:
    endpoint = os.environ["ENDPOINT"]
    spec = json.load(open(os.path.join(ROOT, "tests", "local", "scenarios.json")))
    region = spec["region"]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", spec.get("accessKeyId", "123456789012"))
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    c = stackmod.Clients(endpoint, region)
    operator_topic = c.sns.create_topic(Name="ecs-rerun-operator-update-test")["TopicArn"]
    params = {
        k: str(v).replace("{OPERATOR_TOPIC_ARN}", operator_topic)
        for k, v in spec["stackParameters"].items()
        if "{SLACK_SINK_URL}" not in str(v)
    }
    bins = ["ecs-rerun-starter", "ecs-rerun-notifier"]
    rev = previous_release()
    t = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        prev_tpl = git_show(rev, "cloudformation/template.yaml", tmp)
        prev_asl = git_show(rev, "statemachine/rerun.asl.json", tmp)
        print(f"stack-update: from {rev} to the working tree")
        template = os.path.join(ROOT, "cloudformation", "template.yaml")
        asl = os.path.join(ROOT, "statemachine", "rerun.asl.json")
        d = stackmod.deploy(
            c,
            template,
            asl,
            {**params, "RetainDeadLetterQueues": "true"},
            bins,
            stack_name="ecs-rerun-upgrade",
            previous=(prev_tpl, prev_asl),
        )
    status = c.cfn.describe_stacks(StackName=d.stack_name)["Stacks"][0]["StackStatus"]
    t.check(status == "UPDATE_COMPLETE", f"stack updated from {rev}", status)
    for lid in ("RuleDeadLetterQueue", "RuleDeadLetterQueuePolicy", "NotifierDeadLetterQueuePolicy"):
        t.check(lid in d.physical, f"the update added {lid}")
    alarms = [lid for lid, ty in d.types.items() if ty == "AWS::CloudWatch::Alarm"]
    described = c.cloudwatch.describe_alarms(AlarmNames=[d.physical[a] for a in alarms])["MetricAlarms"] if alarms else []
    t.check(len(alarms) >= 8 and len(described) == len(alarms), "the update added the alarms", alarms)

    # LocalStack applies neither a changed rule target (DeadLetterConfig, RetryPolicy) nor a
    # replaced log group (new LogGroupName) on UPDATE; both are checked on a created stack below.
    target = rule_target(c, d)
    print(f"INFO  after the update LocalStack's rule target: {sorted(target)} (not counted)")
    subs = c.sns.list_subscriptions_by_topic(TopicArn=d.physical["NotificationTopic"])["Subscriptions"]
    sqs_subs = [s for s in subs if s["Protocol"] == "sqs"]
    t.check(len(sqs_subs) == 1, "after the update the notifier queue is subscribed once", subs)
    # The pipeline after the update: rule -> starter queue, topic -> notifier queue.
    with open(os.path.join(ROOT, "tests", "fixtures", "events", "cloudtrail_runtask_agent.json")) as f:
        ev = json.load(f)
    ev["detail"]["eventID"] = f"update-test-{int(time.time())}"
    c.events.put_events(
        Entries=[
            {
                "Source": ev["source"],
                "DetailType": ev["detail-type"],
                "Detail": json.dumps(ev["detail"]),
                "Resources": ev.get("resources") or [],
            }
        ]
    )
    got = receive(c, d.physical["StarterQueue"])
    t.check(
        any(ev["detail"]["eventID"] in m["Body"] for m in got), "after the update the rule delivers to the starter queue"
    )
    c.sns.publish(TopicArn=d.physical["NotificationTopic"], Message='{"version":"1.0","source":"custom"}')
    got = receive(c, d.physical["NotifierQueue"])
    t.check(bool(got), "after the update the topic delivers to the notifier queue")

    # Delete keeps the DLQs when RetainDeadLetterQueues=true ...
    # LocalStack records a DeletionPolicy only when it creates the resource, not when an UPDATE
    # changes it (CloudFormation applies it): the DLQs the previous release created are reported,
    # the one the update created must be kept.
    urls = {lid: d.physical[lid] for lid in DLQS}
    delete(c, d.stack_name)
    for lid, url in urls.items():
        if lid in ("StarterDeadLetterQueue", "NotifierDeadLetterQueue"):
            print(f"INFO  upgraded stack deleted: {lid} (created by {rev}) kept={queue_exists(c, url)} (not counted)")
        else:
            t.check(queue_exists(c, url), f"upgraded stack, RetainDeadLetterQueues=true: {lid} outlives the stack")
    d1 = stackmod.deploy(
        c, template, asl, {**params, "RetainDeadLetterQueues": "true"}, bins, stack_name="ecs-rerun-retain"
    )
    urls = {lid: d1.physical[lid] for lid in DLQS}
    delete(c, d1.stack_name)
    for lid, url in urls.items():
        t.check(queue_exists(c, url), f"RetainDeadLetterQueues=true: {lid} outlives the stack")
    # ... and not when false.
    with tempfile.TemporaryDirectory():
        d2 = stackmod.deploy(
            c, template, asl, {**params, "RetainDeadLetterQueues": "false"}, bins, stack_name="ecs-rerun-noretain"
        )
    target = rule_target(c, d2)
    t.check(
        target.get("DeadLetterConfig", {}).get("Arn") == d2.attrs[("RuleDeadLetterQueue", "Arn")]
        and target.get("RetryPolicy", {}).get("MaximumRetryAttempts") == 185,
        "a created stack's rule target has its DLQ and RetryPolicy",
        target,
    )
    groups = c.logs.describe_log_groups(logGroupNamePrefix="/aws/vendedlogs/states/")["logGroups"]
    t.check(
        any(g["logGroupName"] == d2.physical.get("StateMachineLogGroup") for g in groups),
        "a created stack's state machine log group is under /aws/vendedlogs/states/",
        d2.physical.get("StateMachineLogGroup"),
    )
    subs = c.sns.list_subscriptions_by_topic(TopicArn=d2.physical["NotificationTopic"])["Subscriptions"]
    redrive = ""
    for s in subs:
        if s["Protocol"] == "sqs":
            redrive = c.sns.get_subscription_attributes(SubscriptionArn=s["SubscriptionArn"])["Attributes"].get(
                "RedrivePolicy", ""
            )
    t.check(
        d2.attrs[("NotifierDeadLetterQueue", "Arn")] in redrive,
        "a created stack's subscription has its redrive policy",
        redrive,
    )
    urls = {lid: d2.physical[lid] for lid in DLQS}
    delete(c, d2.stack_name)
    for lid, url in urls.items():
        t.check(not queue_exists(c, url), f"RetainDeadLetterQueues=false: {lid} goes with the stack")
    print(f"stack-update: {t.passed} passed, {t.failed} failed")
    return 0 if t.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
