"""`cargo lambda watch --only-lambda-apis` and the two function binaries behind it, one set per
starter variant, warmed up before the first scenario that uses them."""

from __future__ import annotations

import os
import time

import boto3
from botocore.config import Config

from common import ROOT, Env, say, short
from poller import Mapping
from procs import free_port, wait_port


def start_watch(e: Env, variant: str) -> str:
    """Start `cargo lambda watch --only-lambda-apis` (the Lambda Invoke + Runtime APIs) and, behind
    it, the two built function binaries with the template's environment (plus the variant's
    overrides), each as Lambda would run it (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME …).
    The binaries come from `cargo build` (scripts/demo), so no `cargo run` happens mid-scenario.
    Return the Invoke API endpoint."""
    if variant in e.watch_endpoints:
        return e.watch_endpoints[variant]
    overrides = {} if variant == "default" else e.spec["starterVariants"][variant]
    port = free_port()
    argv = [
        e.args.cargo_lambda,
        "lambda",
        "watch",
        "--only-lambda-apis",
        "--invoke-address",
        "127.0.0.1",
        "--invoke-port",
        str(port),
        "--timeout",
        "60",
    ]
    log_path = os.path.join(e.args.run_dir, f"watch-{variant}.log")
    p = e.children.start(f"watch-{variant}", argv, dict(e.base_env), log_path, ROOT)
    if not wait_port(port, 60, p):
        raise SystemExit(f"error: cargo lambda watch ({variant}) did not start; see {log_path}")
    say(
        f"watch[{variant}]: cargo lambda watch --only-lambda-apis on 127.0.0.1:{port} (pid {p.pid}, log {os.path.relpath(log_path, ROOT)})"
    )
    for b in e.run_bins:
        fn_env = dict(e.deployed.function_env.get(b, {}))
        if b == "ecs-rerun-starter":
            fn_env.update(overrides)
        env = dict(e.base_env)
        env.update(fn_env)
        env.update(
            {
                "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{port}/.rt/{b}",
                "AWS_LAMBDA_FUNCTION_NAME": b,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            }
        )
        fn_log = os.path.join(e.args.run_dir, f"{b}-{variant}.log")
        exe = os.path.join(e.args.bin_dir, b)
        if not os.access(exe, os.X_OK):
            raise SystemExit(f"error: {exe} not built (scripts/demo runs cargo build -p {b})")
        e.children.start(f"{b}-{variant}", [exe], env, fn_log, ROOT, restart=True)
        shown = {k: ("<local sink>" if k == "SLACK_WEBHOOK_URL" else v) for k, v in sorted(fn_env.items())}
        say(f"  {b}: {', '.join(f'{k}={v}' for k, v in shown.items())} (log {os.path.relpath(fn_log, ROOT)})")
    endpoint = f"http://127.0.0.1:{port}"
    e.watch_endpoints[variant] = endpoint
    warm(e, endpoint)
    return endpoint


def warm(e: Env, endpoint: str) -> None:
    """Invoke each function once with an empty SQS batch so cargo lambda watch starts the binaries
    now, not inside the first scenario's timings."""
    lam = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=e.deployed.region,
        aws_access_key_id=e.base_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=600),
    )
    for b in e.run_bins:
        if b == "ecs-rerun-watchdog":
            continue  # invoked with a Scheduled Event by its scenarios (watchdog_run.py), not by SQS
        t0 = time.time()
        r = lam.invoke(FunctionName=b, Payload=b'{"Records":[]}')
        payload = r["Payload"].read().decode()
        status = "error " + short(payload, 200) if r.get("FunctionError") else "ok"
        say(f"  warm-up {b}: {time.time() - t0:.1f} s, {status}")


def endpoint_for(e: Env, m: Mapping) -> str:
    """The Invoke API the poller calls for a queue: the current scenario's starter variant for the
    starter's queue, the default watch otherwise."""
    if m.label == "starter":
        return e.watch_endpoints.get(e.starter_variant) or e.watch_endpoints["default"]
    return e.watch_endpoints["default"]
