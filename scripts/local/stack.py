"""Deploy the (transformed) real template to LocalStack and describe what got deployed."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

import cfn


@dataclass
class Deployed:
    stack_name: str
    region: str
    account: str
    physical: dict[str, str]  # logical id -> physical id
    types: dict[str, str]  # logical id -> resource type
    attrs: dict[tuple[str, str], str]
    outputs: dict[str, str]
    info: dict[str, Any]  # from cfn.transform
    params: dict[str, str]
    function_env: dict[str, dict[str, str]] = field(default_factory=dict)  # bin name -> env
    function_bins: dict[str, str] = field(default_factory=dict)  # logical id -> bin name

    def of_type(self, t: str) -> list[str]:
        return [lid for lid, ty in self.types.items() if ty == t]

    def one(self, t: str) -> str:
        ids = self.of_type(t)
        if len(ids) != 1:
            raise SystemExit(f"error: expected exactly one {t} in the deployed stack, found {ids}")
        return ids[0]


class Clients:
    def __init__(self, endpoint: str, region: str, dynamodb_endpoint: str | None = None):
        cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30)
        self.endpoint = endpoint
        self.region = region
        self.dynamodb_endpoint = dynamodb_endpoint
        # DynamoDB is moto's (scripts/local/README.md); None: a template's tables are not created
        self.dynamodb = (
            boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name=region, config=cfg)
            if dynamodb_endpoint
            else None
        )

        def mk(name: str, **kw: Any) -> Any:
            return boto3.client(name, endpoint_url=endpoint, region_name=region, config=kw.get("config", cfg))

        self.cfn = mk("cloudformation")
        self.s3 = mk("s3", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))
        self.sqs = mk("sqs")
        self.sns = mk("sns")
        self.sfn = mk("stepfunctions")
        self.events = mk("events")
        self.iam = mk("iam")
        self.sts = mk("sts")
        self.cloudwatch = mk("cloudwatch")
        self.logs = mk("logs")


def bin_name_for(lid: str, fn: dict[str, Any], bins: list[str]) -> str:
    """Which cargo-lambda bin a template function is: by its code key, else by its logical id."""
    props = fn.get("Properties") or {}
    hay = json.dumps(props.get("Code") or {}) + " " + json.dumps(props.get("FunctionName") or "")
    for b in bins:
        if b in hay:
            return b
    low = lid.lower()
    for b in bins:
        short = b.rsplit("-", 1)[-1]  # ecs-rerun-starter -> starter
        if short in low:
            return b
    raise SystemExit(f"error: cannot tell which of {bins} the template function {lid} is")


def bin_name_or_none(lid: str, fn: dict[str, Any], bins: list[str]) -> str | None:
    """bin_name_for, or None for a function none of `bins` is (a caller that runs only some)."""
    try:
        return bin_name_for(lid, fn, bins)
    except SystemExit:
        return None


TABLE_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def generated_table_name(stack_name: str, lid: str) -> str:
    """The name CloudFormation gives a table without TableName, <stack>-<LogicalId>-<12 chars>;
    the suffix derives from the two (an update of the stack keeps its table, as CloudFormation does)."""
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha256(f"{stack_name}/{lid}".encode()).digest()
    suffix = "".join(TABLE_SUFFIX_CHARS[b % len(TABLE_SUFFIX_CHARS)] for b in digest[:12])
    return f"{stack_name}-{lid}-{suffix}"


# the Properties of AWS::DynamoDB::Table that CreateTable takes as they are written
TABLE_CREATE_PROPS = ("KeySchema", "AttributeDefinitions", "BillingMode", "ProvisionedThroughput", "GlobalSecondaryIndexes", "LocalSecondaryIndexes")


def create_tables(c: Clients, tpl: dict[str, Any], info: dict[str, Any], resolver: "cfn.Resolver", log: Any) -> None:
    """Create the template's DynamoDB tables (transform moved them out) in moto, from their own
    Properties; TimeToLiveSpecification through UpdateTimeToLive as CloudFormation does. A table
    whose Condition is false is not created; without a DynamoDB endpoint none is (logged)."""
    for lid, t in info.get("tables", {}).items():
        r = t["resource"]
        if r.get("Condition") and not resolver.condition(r["Condition"]):
            t["created"] = False
            log(f"deploy: table {lid} is off (condition {r['Condition']} is false)")
            continue
        if c.dynamodb is None:
            t["created"] = False
            log(f"deploy: table {lid} ({t['name']}) not created: no DynamoDB endpoint (only the watchdog uses it)")
            continue
        props = resolver.eval(r.get("Properties") or {})
        args = {k: props[k] for k in TABLE_CREATE_PROPS if k in props}
        ignored = sorted(set(props) - set(TABLE_CREATE_PROPS) - {"TableName", "TimeToLiveSpecification"})
        try:
            c.dynamodb.create_table(TableName=t["name"], **args)
        except c.dynamodb.exceptions.ResourceInUseException:
            log(f"deploy: table {lid} ({t['name']}) exists: kept (a stack update keeps its table)")
        c.dynamodb.get_waiter("table_exists").wait(TableName=t["name"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        ttl = props.get("TimeToLiveSpecification")
        if isinstance(ttl, dict) and str(ttl.get("Enabled")).lower() == "true":
            c.dynamodb.update_time_to_live(
                TableName=t["name"], TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
        desc = c.dynamodb.describe_table(TableName=t["name"])["Table"]
        t["arn"] = desc["TableArn"]
        t["created"] = True
        log(
            f"deploy: table {lid} created in moto as {t['name']} ({', '.join(k for k in args)}"
            f"{', TimeToLiveSpecification' if ttl else ''}; not applied locally: {', '.join(ignored) or 'nothing'})"
        )


def deploy(
    c: Clients,
    template_path: str,
    asl_path: str,
    params: dict[str, str],
    bins: list[str],
    stack_name: str = "ecs-rerun",
    visibility_timeout: int = 3,
    max_receive_count: int | None = None,
    log: Any = print,
    previous: tuple[str, str] | None = None,
    update_from_env: bool = True,
) -> Deployed:
    """Create the stack from template_path; with previous=(template, asl) create it from that
    (an older release) first and then UPDATE it to template_path, as an upgrade would."""
    rev = os.environ.get("ECS_RERUN_UPDATE_FROM", "")
    if previous is None and rev and update_from_env:
        # scripts/stack-update-test runs a pipeline scenario on a stack updated from release `rev`.
        import stack_update  # noqa: PLC0415 - it imports this module

        tmp = tempfile.mkdtemp(prefix="ecs-rerun-previous-")
        previous = (
            stack_update.git_show(rev, "cloudformation/template.yaml", tmp),
            stack_update.git_show(rev, "statemachine/rerun.asl.json", tmp),
        )
        log(f"deploy: ECS_RERUN_UPDATE_FROM={rev}: create from {rev}'s template, then update")
    if previous is not None:
        prev_tpl_path, prev_asl = previous
        old = deploy(
            c,
            prev_tpl_path,
            prev_asl,
            params,
            bins,
            stack_name,
            visibility_timeout,
            max_receive_count,
            log,
            update_from_env=False,
        )
        return update(c, old.stack_name, template_path, asl_path, params, bins, visibility_timeout, max_receive_count, log)
    tpl, out_tpl, info, params, pseudo, account = _prepare(
        c, template_path, asl_path, params, stack_name, visibility_timeout, max_receive_count, log
    )
    # LocalStack's CloudFormation engine occasionally fails a resource on a loaded machine (seen:
    # QueueAlreadyExists from its own retried CreateQueue): try again under a fresh stack name.
    attempts = 3
    for attempt in range(1, attempts + 1):
        name = stack_name if attempt == 1 else f"{stack_name}-{attempt}"
        t0 = time.time()
        c.cfn.create_stack(
            StackName=name,
            TemplateBody=json.dumps(out_tpl),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        waiter = c.cfn.get_waiter("stack_create_complete")
        try:
            waiter.wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            stack_name = name
            break
        except Exception as e:
            msg = f"stack {name} did not deploy: {e}\n  " + "\n  ".join(_failures(c, name))
            if attempt == attempts:
                raise SystemExit("error: " + msg) from None
            log(f"deploy: {msg}\n  retrying under a new stack name")
            try:
                c.cfn.delete_stack(StackName=name)
            except Exception:
                pass
    log(f"deploy: stack {stack_name} CREATE_COMPLETE in {time.time() - t0:.1f} s")
    return _describe(c, stack_name, tpl, info, params, pseudo, account, bins, log)


def update(
    c: Clients,
    stack_name: str,
    template_path: str,
    asl_path: str,
    params: dict[str, str],
    bins: list[str],
    visibility_timeout: int = 3,
    max_receive_count: int | None = None,
    log: Any = print,
) -> Deployed:
    """UPDATE the deployed stack to template_path (transformed as for a create)."""
    tpl, out_tpl, info, params, pseudo, account = _prepare(
        c, template_path, asl_path, params, stack_name, visibility_timeout, max_receive_count, log
    )
    # LocalStack's engine updates an AWS::SNS::Subscription by subscribing again, which SNS refuses
    # once the attributes differ ("Subscription already exists with different attributes");
    # CloudFormation sets a changed RedrivePolicy in place. So an existing subscription keeps its
    # attributes here (a created one gets them: checked on a fresh stack).
    existing = {r["LogicalResourceId"] for r in c.cfn.describe_stack_resources(StackName=stack_name)["StackResources"]}
    for lid, r in (out_tpl.get("Resources") or {}).items():
        if r.get("Type") == "AWS::SNS::Subscription" and lid in existing:
            props = r.get("Properties") or {}
            for attr in ("RedrivePolicy", "FilterPolicy", "RawMessageDelivery"):
                if attr in props:
                    del props[attr]
                    log(f"  {lid}.{attr}: not sent on update (LocalStack re-subscribes instead of updating)")
    started = time.time()
    t0 = time.time()
    c.cfn.update_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(out_tpl),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    try:
        c.cfn.get_waiter("stack_update_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 1, "MaxAttempts": 180}
        )
    except Exception as e:
        raise SystemExit(
            f"error: stack {stack_name} did not update: {e}\n  " + "\n  ".join(_failures(c, stack_name))
        ) from None
    # LocalStack can report UPDATE_COMPLETE after a failed update rolled back: read the events.
    failed = [
        f"{ev['LogicalResourceId']}: {ev['ResourceStatus']} {ev.get('ResourceStatusReason') or ''}"
        for ev in c.cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
        if ev["Timestamp"].timestamp() >= started - 1
        and ("FAILED" in ev["ResourceStatus"] or "ROLLBACK" in ev["ResourceStatus"])
    ]
    if failed:
        raise SystemExit(f"error: stack {stack_name} did not update:\n  " + "\n  ".join(failed[:10]))
    log(f"deploy: stack {stack_name} UPDATE_COMPLETE in {time.time() - t0:.1f} s")
    return _describe(c, stack_name, tpl, info, params, pseudo, account, bins, log)


def _failures(c: Clients, name: str) -> list[str]:
    events = c.cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [
        f"{ev['LogicalResourceId']}: {ev.get('ResourceStatusReason', '')}"
        for ev in events
        if "FAILED" in ev.get("ResourceStatus", "") and ev.get("ResourceStatusReason")
    ][:10]


def _prepare(
    c: Clients,
    template_path: str,
    asl_path: str,
    params: dict[str, str],
    stack_name: str,
    visibility_timeout: int,
    max_receive_count: int | None,
    log: Any,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, str], dict[str, str], str]:
    """Load and transform the template, check its Rules, upload the ASL. Returns (template,
    deployable template, transform info, the parameters it declares, pseudo parameters, account)."""
    tpl = cfn.load_template(template_path)
    declared = tpl.get("Parameters") or {}
    unknown = sorted(set(params) - set(declared))
    if unknown:
        log(f"deploy: parameters not in the template, ignored: {', '.join(unknown)}")
    params = {k: v for k, v in params.items() if k in declared}
    out_tpl, info = cfn.transform(
        tpl,
        visibility_timeout=visibility_timeout,
        max_receive_count=max_receive_count,
        table_name=lambda lid: generated_table_name(stack_name, lid),
    )
    log("deploy: test-side transformation of " + os.path.relpath(template_path))
    for lid, t in info["dropped"].items():
        log(f"  dropped {lid} ({t})")
    for lid, ch in info["queueChanges"].items():
        if ch:
            log(f"  {lid}: " + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in ch.items()))

    account = c.sts.get_caller_identity()["Account"]
    pseudo = {
        "AWS::Region": c.region,
        "AWS::AccountId": account,
        "AWS::Partition": "aws",
        "AWS::StackName": stack_name,
        "AWS::URLSuffix": "amazonaws.com",
    }

    # What CloudFormation does before it creates anything: the Rules, then the transform.
    pre = cfn.Resolver(tpl, params, {}, {}, dict(pseudo))
    failed = cfn.check_rules(tpl, pre)
    if failed:
        raise SystemExit("error: template rules refuse the parameters:\n  " + "\n  ".join(failed))
    out_tpl.pop("Rules", None)
    for line in cfn.apply_language_extensions(out_tpl, pre):
        log(f"  {line} (AWS::LanguageExtensions, applied here)")
    create_tables(c, tpl, info, pre, log)

    # Upload the ASL where the template's DefinitionS3Location says it is.
    uploaded = False
    for lid, r in (out_tpl.get("Resources") or {}).items():
        if r.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        loc = (r.get("Properties") or {}).get("DefinitionS3Location")
        if not loc:
            continue
        loc = pre.eval(loc)
        bucket, key = loc["Bucket"], loc["Key"]
        try:
            c.s3.create_bucket(Bucket=bucket)
        except c.s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        with open(asl_path, "rb") as f:
            c.s3.put_object(Bucket=bucket, Key=key, Body=f.read())
        log(f"deploy: uploaded {os.path.relpath(asl_path)} to s3://{bucket}/{key} ({lid}.DefinitionS3Location)")
        uploaded = True
    if not uploaded:
        log("deploy: note: no state machine with DefinitionS3Location; nothing uploaded")
    return tpl, out_tpl, info, params, pseudo, account


def _describe(
    c: Clients,
    stack_name: str,
    tpl: dict[str, Any],
    info: dict[str, Any],
    params: dict[str, str],
    pseudo: dict[str, str],
    account: str,
    bins: list[str],
    log: Any,
) -> Deployed:
    """What got deployed: physical ids, attributes, outputs, the dropped functions' environment."""
    physical: dict[str, str] = {}
    types: dict[str, str] = {}
    for r in c.cfn.describe_stack_resources(StackName=stack_name)["StackResources"]:
        physical[r["LogicalResourceId"]] = r["PhysicalResourceId"]
        types[r["LogicalResourceId"]] = r["ResourceType"]
    stack = c.cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}

    for lid, t in (info.get("tables") or {}).items():
        if t.get("created"):
            physical[lid] = t["name"]
            types[lid] = "AWS::DynamoDB::Table"
    attrs: dict[tuple[str, str], str] = {}
    for lid, t in types.items():
        pid = physical[lid]
        if t == "AWS::SQS::Queue":
            a = c.sqs.get_queue_attributes(QueueUrl=pid, AttributeNames=["All"])["Attributes"]
            attrs[(lid, "Arn")] = a["QueueArn"]
            attrs[(lid, "QueueUrl")] = pid
            attrs[(lid, "QueueName")] = a["QueueArn"].rsplit(":", 1)[-1]
        elif t == "AWS::SNS::Topic":
            attrs[(lid, "TopicArn")] = pid
            attrs[(lid, "TopicName")] = pid.rsplit(":", 1)[-1]
        elif t == "AWS::StepFunctions::StateMachine":
            attrs[(lid, "Arn")] = pid
            attrs[(lid, "Name")] = pid.rsplit(":", 1)[-1]
        elif t == "AWS::Events::Rule":
            attrs[(lid, "Arn")] = pid if pid.startswith("arn:") else f"arn:aws:events:{c.region}:{account}:rule/{pid}"
        elif t == "AWS::DynamoDB::Table":
            attrs[(lid, "Arn")] = info["tables"][lid]["arn"]
        elif t == "AWS::IAM::Role":
            try:
                attrs[(lid, "Arn")] = c.iam.get_role(RoleName=pid)["Role"]["Arn"]
            except Exception:
                pass

    d = Deployed(stack_name, c.region, account, physical, types, attrs, outputs, info, params)
    resolver = cfn.Resolver(tpl, params, physical, attrs, dict(pseudo))
    for lid, fn in info["functions"].items():
        if fn.get("Condition") and not resolver.condition(fn["Condition"]):
            continue
        b = bin_name_or_none(lid, fn, bins)
        if b is None:
            log(f"deploy: function {lid} is none of {', '.join(bins)}: not run here")
            continue
        d.function_bins[lid] = b
        d.function_env[b] = cfn.resolve_env(resolver, fn)
    # mappings: resolve queue ARN -> queue URL
    arn_to_url = {attrs[(lid, "Arn")]: physical[lid] for lid, t in types.items() if t == "AWS::SQS::Queue"}
    resolved = []
    for m in info["mappings"]:
        if m.get("Condition") and not resolver.condition(m["Condition"]):
            log(f"deploy: mapping {m['logicalId']} is off (condition {m['Condition']} is false)")
            continue
        props = m.get("Properties") or {}
        src = resolver.eval(props.get("EventSourceArn"))
        fn_ref = props.get("FunctionName")
        fn_lid = next(iter(cfn.refs(fn_ref)), None) if isinstance(fn_ref, dict) else None
        if fn_lid in info["functions"] and fn_lid not in d.function_bins:
            continue  # a function this caller does not run (logged above)
        if fn_lid not in d.function_bins:
            raise SystemExit(f"error: event source mapping {m['logicalId']} names an unknown function {fn_ref}")
        resolved.append(
            {
                "logicalId": m["logicalId"],
                "queueArn": src,
                "queueUrl": arn_to_url.get(src),
                "function": d.function_bins[fn_lid],
                "batchSize": int(resolver.eval(props.get("BatchSize", 10))),
                "reportBatchItemFailures": "ReportBatchItemFailures"
                in (resolver.eval(props.get("FunctionResponseTypes")) or []),
                "enabled": resolver.eval(props.get("Enabled", True)) not in (False, "false"),
            }
        )
    d.info["resolvedMappings"] = resolved
    return d
