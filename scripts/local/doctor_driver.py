"""Drive LocalStack for scripts/doctor-test: deploy the real template (through stack.py/cfn.py, the
same test-side transformation the demo uses: everything but the Lambda resources) and put a message
into the starter's dead-letter queue.

  doctor_driver.py deploy --endpoint URL --stack-name NAME [--region R] [--asl FILE]
      deploys cloudformation/template.yaml + statemachine/rerun.asl.json (or FILE), prints one JSON line:
      {"stackName", "region", "account", "stateMachineArn", "starterDlqUrl", "notifierDlqUrl"}
      (stackName may carry a suffix: stack.py retries under a fresh name when LocalStack fails a
      resource)
  doctor_driver.py send-to-dlq --endpoint URL --queue-url URL
      sends one message (a RunTask event fixture, as EventBridge would have) to the queue

Progress goes to stderr; stdout is the JSON line only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import stack  # noqa: E402  (scripts/local/stack.py, imported as the demo does)

BINS = ["ecs-rerun-starter", "ecs-rerun-notifier"]
# Non-empty so the notifier queue and its DLQ exist; nothing posts to it (the Lambdas are not deployed).
WEBHOOK = "https://hooks.slack.com/services/T0000000/B0000000/doctor-test"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def deploy(args: argparse.Namespace) -> None:
    c = stack.Clients(args.endpoint, args.region)
    params = {
        "SlackWebhookUrl": WEBHOOK,
        "RetryableReasons": "AGENT",
        "MaxAttempts": "3",
        "RetryIntervalSeconds": "1",
        "BackoffRate": "2",
        "TargetClusters": "*",
    }
    d = stack.deploy(
        c,
        os.path.join(ROOT, "cloudformation", "template.yaml"),
        args.asl or os.path.join(ROOT, "statemachine", "rerun.asl.json"),
        params,
        BINS,
        stack_name=args.stack_name,
        log=log,
    )
    print(
        json.dumps(
            {
                "stackName": d.stack_name,
                "region": d.region,
                "account": d.account,
                "stateMachineArn": d.physical.get("StateMachine"),
                "starterDlqUrl": d.physical.get("StarterDeadLetterQueue"),
                "notifierDlqUrl": d.physical.get("NotifierDeadLetterQueue"),
            }
        )
    )


def send_to_dlq(args: argparse.Namespace) -> None:
    c = stack.Clients(args.endpoint, args.region)
    with open(os.path.join(ROOT, "tests", "fixtures", "events", "cloudtrail_runtask_agent.json")) as f:
        body = f.read()
    r = c.sqs.send_message(QueueUrl=args.queue_url, MessageBody=body)
    log(f"sent message {r['MessageId']} to {args.queue_url}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("deploy")
    d.add_argument("--endpoint", required=True)
    d.add_argument("--region", default="us-east-1")
    d.add_argument("--stack-name", required=True)
    d.add_argument("--asl", help="state machine definition to deploy (default: statemachine/rerun.asl.json)")
    s = sub.add_parser("send-to-dlq")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--region", default="us-east-1")
    s.add_argument("--queue-url", required=True)
    args = p.parse_args()
    {"deploy": deploy, "send-to-dlq": send_to_dlq}[args.cmd](args)


if __name__ == "__main__":
    main()
