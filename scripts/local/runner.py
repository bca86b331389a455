"""ecs-rerun local pipeline: deploy the real template to LocalStack, run the Rust Lambdas under
`cargo lambda watch`, poll the queues, receive Slack posts, and run the scenarios of
tests/local/scenarios.json, asserting each outcome.

Started by scripts/demo (and .ci/run) once LocalStack is up; see scripts/local/README.md.
This file: the command line, the deployment, the run loop and the summary. The rest, one job per
module: scenarios.py (the spec, its key check, a scenario's event), scenario_run.py (one
scenario), checks.py (its assertions), history.py (executions as they happen), watch.py
(`cargo lambda watch` and the function binaries), mocks.py (the SFN mock configuration),
common.py (what they share).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any

import alarm_run
import sink as sinkmod
import stack as stackmod
import trail as trailmod
from common import BINS, CLOCK, ROOT, WATCHDOG_BINS, Env, say
from mocks import install_mocks, load_source
from poller import Mapping, Poller
from procs import Children
from scenario_run import Result, run_scenario
from scenarios import load, scenario_problems
from watch import endpoint_for, start_watch


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True, help="LocalStack gateway, e.g. http://127.0.0.1:4566")
    ap.add_argument("--dynamodb-endpoint", help="moto_server, for the template's DynamoDB tables (the watchdog's facts)")
    ap.add_argument("--scenarios", default=os.path.join(ROOT, "tests", "local", "scenarios.json"))
    ap.add_argument("--scenario", action="append", default=[], help="run only this scenario (repeatable)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--validate-only", action="store_true", help="check the arguments and scenario names, then exit")
    ap.add_argument("--template", default=os.path.join(ROOT, "cloudformation", "template.yaml"))
    ap.add_argument("--asl", default=os.path.join(ROOT, "statemachine", "rerun.asl.json"))
    ap.add_argument("--mock-config", required=True, help="the SFN_MOCK_CONFIG file LocalStack reads")
    ap.add_argument("--run-dir", required=True)
    ap.add_argument("--cargo-lambda", default="cargo-lambda")
    ap.add_argument(
        "--bin-dir", default=os.path.join(ROOT, "target", "debug"), help="where cargo build put the function binaries"
    )
    ap.add_argument("--pid-file")
    ap.add_argument("--scenario-timeout", type=float, default=60, help="seconds per scenario unless it says")
    ap.add_argument("--total-timeout", type=float, default=900, help="no new scenario starts after this many seconds")
    ap.add_argument("--ci", action="store_true", help="CI mode: same scenarios, no colour, summary as JSON too")
    return ap.parse_args()


def choose(args: argparse.Namespace, spec: dict[str, Any]) -> list[dict[str, Any]] | int:
    """The scenarios to run, or the exit code: 2 after printing why, 0 after --list or when
    --validate-only found nothing wrong."""
    scenarios = spec["scenarios"]
    problems = scenario_problems(spec)
    if problems:
        for problem in problems:
            print(f"error: {args.scenarios}: {problem}", file=sys.stderr)
        return 2
    if args.list:
        for s in scenarios:
            print(f"{s['name']:<28} {s.get('description', '')}")
        return 0
    if args.scenario:
        names = {s["name"] for s in scenarios}
        unknown = [n for n in args.scenario if n not in names]
        if unknown:
            print(f"error: unknown scenario {', '.join(unknown)}; known: {', '.join(sorted(names))}", file=sys.stderr)
            return 2
        scenarios = [s for s in scenarios if s["name"] in args.scenario]
    for p, what in ((args.template, "template"), (args.asl, "state machine definition")):
        if not os.path.isfile(p):
            print(f"error: {what} not found: {p}", file=sys.stderr)
            return 2
    if args.validate_only:
        return 0
    return scenarios


def print_post(p: sinkmod.Post) -> None:
    lines = sinkmod.message_lines(p.body)
    say(f"  slack #{p.seq} (PutEvents +{p.at - CLOCK['t0']:.1f} s) answered {p.status}")
    for line in lines:
        say("  │ " + line)


def deploy(
    args: argparse.Namespace,
    spec: dict[str, Any],
    clients: stackmod.Clients,
    children: Children,
    sink: sinkmod.SlackSink,
    access_key: str,
    trail: trailmod.Trail | None = None,
) -> tuple[Env, list[Mapping]]:
    """Deploy the stack (stack.py), wire the functions' environment (test case, overrides,
    LocalStack endpoint, fake credentials) and read what the scenarios need: the state machine,
    the rule and its bus, the queues and their DLQs. Return the pipeline and the poller's mappings."""
    region = clients.region
    operator_topic, operator_queue = alarm_run.operator_topic(args.endpoint, region)
    params = {
        k: str(v).replace("{SLACK_SINK_URL}", sink.url()).replace("{OPERATOR_TOPIC_ARN}", operator_topic)
        for k, v in spec["stackParameters"].items()
    }
    d = stackmod.deploy(
        clients,
        args.template,
        args.asl,
        params,
        BINS + WATCHDOG_BINS,
        visibility_timeout=int(spec.get("visibilityTimeout", 3)),
        max_receive_count=spec.get("maxReceiveCount"),
        log=say,
    )
    sm_lid = d.one("AWS::StepFunctions::StateMachine")
    sm_arn = d.physical[sm_lid]
    test_case = spec.get("testCase", "Scenario")
    maps = {m["function"]: m for m in d.info["resolvedMappings"]}
    for b in BINS:
        if b not in maps:
            raise SystemExit(f"error: the template has no event source mapping for {b}")
    mapping_objs = {
        b: Mapping(
            m["queueUrl"],
            m["queueArn"],
            b,
            m["batchSize"],
            m["reportBatchItemFailures"],
            b.rsplit("-", 1)[-1],  # starter, notifier, recorder
        )
        for b, m in maps.items()
    }
    run_bins = [b for b in BINS + WATCHDOG_BINS if b in d.function_bins.values()]

    def dlq_of(queue_url: str) -> str | None:
        rp = clients.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])[
            "Attributes"
        ].get("RedrivePolicy")
        if not rp:
            return None
        arn = json.loads(rp)["deadLetterTargetArn"]
        return clients.sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]

    # the rule that delivers RunTask failures to the starter's queue (the watchdog's
    # TaskStateChangeRule delivers to the facts queue)
    starter_arn = mapping_objs["ecs-rerun-starter"].queue_arn
    rule_lids = [
        lid
        for lid in d.of_type("AWS::Events::Rule")
        if any(
            t["Arn"] == starter_arn
            for t in clients.events.list_targets_by_rule(Rule=d.physical[lid].rsplit("/", 1)[-1])["Targets"]
        )
    ]
    if len(rule_lids) != 1:
        raise SystemExit(f"error: expected exactly one rule delivering to the starter queue, found {rule_lids}")
    rule_lid = rule_lids[0]
    rule_name = d.physical[rule_lid].rsplit("/", 1)[-1]
    rule = clients.events.describe_rule(Name=rule_name)
    bus = rule.get("EventBusName", "default")
    for b, ov in (spec.get("functionEnvOverrides") or {}).items():
        for k, v in ov.items():
            d.function_env.setdefault(b, {})[k] = str(v).replace("{SLACK_SINK_URL}", sink.url())
    # the starter's configured ARN carries the test case (CONTRACT: the suffix is dropped for names)
    for b in run_bins:
        envb = d.function_env.get(b, {})
        if "STATE_MACHINE_ARN" in envb:
            if envb["STATE_MACHINE_ARN"] != sm_arn:
                raise SystemExit(
                    f"error: template wires STATE_MACHINE_ARN={envb['STATE_MACHINE_ARN']}, state machine is {sm_arn}"
                )
            envb["STATE_MACHINE_ARN"] = f"{sm_arn}#{test_case}"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base_env.update(
        {
            "AWS_ENDPOINT_URL": args.endpoint,
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "RUST_LOG": os.environ.get("RUST_LOG", "info"),
        }
    )
    # service-specific endpoints (the SDKs read AWS_ENDPOINT_URL_<SERVICE>): DynamoDB is moto's,
    # CloudTrail LookupEvents is trail.py's recorded responses
    if args.dynamodb_endpoint:
        base_env["AWS_ENDPOINT_URL_DYNAMODB"] = args.dynamodb_endpoint
    if trail is not None:
        base_env["AWS_ENDPOINT_URL_CLOUDTRAIL"] = trail.url()
    say(f"deploy: state machine {sm_arn}; rule {rule_name} on bus {bus}")
    for b, m in mapping_objs.items():
        say(
            f"deploy: {m.label} queue {m.queue_url} -> {b} (BatchSize {m.batch_size}"
            f"{', ReportBatchItemFailures' if m.report_batch_item_failures else ''})"
        )
    dlq_url = dlq_of(mapping_objs["ecs-rerun-notifier"].queue_url)
    starter_dlq_url = dlq_of(mapping_objs["ecs-rerun-starter"].queue_url)
    say(f"deploy: DLQs: starter {starter_dlq_url}, notifier {dlq_url}; Slack sink {sink.url()}")

    e = Env(
        args=args,
        clients=clients,
        deployed=d,
        sink=sink,
        poller=None,  # type: ignore[arg-type]  # set once the poller runs (main)
        children=children,
        spec=spec,
        sm_arn=sm_arn,
        sm_name=sm_arn.rsplit(":", 1)[-1],
        test_case=test_case,
        starter_queue=mapping_objs["ecs-rerun-starter"],
        notifier_queue=mapping_objs["ecs-rerun-notifier"],
        notifier_dlq_url=dlq_url,
        bus=bus,
        rule_pattern=rule["EventPattern"],
        base_env=base_env,
        starter_dlq_url=starter_dlq_url,
        operator_queue=operator_queue,
        run_bins=run_bins,
        trail=trail,
        facts_queue=mapping_objs.get("ecs-rerun-recorder"),
    )
    for lid, t in (d.info.get("tables") or {}).items():
        say(f"deploy: table {lid} = {t['name']} ({'moto ' + args.dynamodb_endpoint if t.get('created') else 'not created'})")
    if trail is not None:
        say(f"deploy: CloudTrail LookupEvents (trail.py, recorded fixtures) on {trail.url()}")
    with open(args.asl) as f:
        e.asl = json.load(f)
    e.mock_source = load_source(args.scenarios, spec)
    return e, list(mapping_objs.values())


def run(e: Env, scenarios: list[dict[str, Any]], total_timeout: float, results: list[Result]) -> None:
    """Run the scenarios in order into `results` (kept when interrupted); none starts after
    `total_timeout` seconds."""
    run_deadline = time.time() + total_timeout
    for sc in scenarios:
        if time.time() > run_deadline:
            say(f"total time limit ({total_timeout:.0f} s) reached: not running {sc['name']} and later scenarios")
            break
        r = run_scenario(e, sc)
        results.append(r)
        say(f"--- scenario {r.name}: {'ok' if r.ok else 'FAIL ' + r.why} ({r.seconds:.1f} s)")


def summary(args: argparse.Namespace, scenarios: list[dict[str, Any]], results: list[Result]) -> int:
    """Print the timings and one line per scenario, then `N passed, M failed`; with --ci also
    results.json. 0 only when every scenario ran and passed."""
    say("")
    say("timings: scenario, seconds, state transitions per execution, PutEvents -> first Slack post")
    for r in results:
        fs = f"{r.first_slack_s:.2f} s" if r.first_slack_s is not None else "-"
        say(f"  {r.name:<28} {r.seconds:6.1f} s  transitions {r.transitions or '-'}  first Slack post {fs}")
    for r in results:
        say(f"scenario {r.name}: ok" if r.ok else f"scenario {r.name}: FAIL {r.why}")
    passed = sum(1 for r in results if r.ok)
    not_run = [s["name"] for s in scenarios[len(results) :]]
    for name in not_run:
        say(f"scenario {name}: FAIL not run (interrupted or out of time)")
    failed = len(results) - passed + len(not_run)
    say(f"{passed} passed, {failed} failed")
    if args.ci:
        with open(os.path.join(args.run_dir, "results.json"), "w") as f:
            json.dump([r.__dict__ for r in results], f, indent=2)
    return 0 if failed == 0 and results else 1


def main() -> int:
    args = parse_args()
    spec = load(args.scenarios)
    chosen = choose(args, spec)
    if isinstance(chosen, int):
        return chosen
    scenarios = chosen

    region = spec.get("region", "us-east-1")
    access_key = spec.get("accessKeyId", "test")
    os.environ.update({"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": region})
    clients = stackmod.Clients(args.endpoint, region, args.dynamodb_endpoint)
    children = Children(args.pid_file)

    def on_signal(sig: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {sig}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    sink = sinkmod.SlackSink(0, on_post=print_post).start()
    trail = trailmod.Trail().start()
    poller = None
    results: list[Result] = []
    try:
        e, mappings = deploy(args, spec, clients, children, sink, access_key, trail)
        install_mocks(e, "-none-")
        start_watch(e, "default")
        children.on_restart = lambda name, code: say(f"  {name} exited (code {code}); restarted, as Lambda would")
        poller = Poller(args.endpoint, region, mappings, lambda m: endpoint_for(e, m), log=lambda s: say("  " + s))
        e.poller = poller
        poller.start()
        run(e, scenarios, args.total_timeout, results)
    except KeyboardInterrupt as k:
        say(f"interrupted ({k})")
    finally:
        if poller:
            poller.stop()
        children.stop_all()
        sink.stop()
        trail.stop()
    return summary(args, scenarios, results)


if __name__ == "__main__":
    sys.exit(main())
