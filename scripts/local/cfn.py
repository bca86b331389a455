"""Deploy the real cloudformation/template.yaml to LocalStack, minus what LocalStack cannot run.

The test-side transformation (the production template carries no test-only knobs):

1. Drop every ``AWS::Lambda::Function``, ``AWS::Lambda::EventSourceMapping``,
   ``AWS::Lambda::Permission``, ``AWS::Lambda::Version``/``Alias`` and
   ``AWS::Lambda::EventInvokeConfig`` — LocalStack cannot create Lambdas offline, nor run them.
2. Then, repeatedly, drop every resource that only dropped resources referenced (the functions'
   roles, policies, log groups …): a resource is dropped when something dropped referenced it and
   nothing kept (resources, outputs) still does. Outputs that reference a dropped resource go too.
3. The queues the event source mappings consumed: ``VisibilityTimeout`` is cut to a few seconds
   (``visibilityTimeout`` in tests/local/scenarios.json) so SQS's own redelivery and redrive
   happen within a scenario; ``maxReceiveCount`` is kept as the template says (capped by
   ``maxReceiveCount`` in scenarios.json when given). Nothing else changes: rule, pattern, queues,
   DLQs, policies, topic, subscription, state machine (its ASL loaded from S3 via
   DefinitionS3Location exactly as in production) and its role are deployed as written.

4. ``AWS::CloudWatch::Alarm`` resources whose metric names a dropped resource (the Lambda
   functions' Errors/Throttles alarms) are dropped with it; every other alarm is deployed.
   ``AWS::Events::Rule`` resources whose every target is a dropped resource (the watchdog's
   schedule rule, which invokes the watchdog Lambda) are dropped too: locally the runner invokes
   the function itself, with the Scheduled Event the rule would send.
6. ``AWS::DynamoDB::Table`` is not deployed on LocalStack (its DynamoDB needs Java 21 and
   DynamoDB Local, downloaded at start): the table is created in moto (``--dynamodb-endpoint``)
   from the resource's own Properties (KeySchema, AttributeDefinitions, BillingMode,
   TimeToLiveSpecification) under the name CloudFormation would generate
   (``<stack>-<LogicalId>-<SUFFIX>``, or its TableName), and every Ref / GetAtt .Arn of it, in the
   kept resources and in the functions' environment, resolves to that name and ARN.
5. ``Transform: AWS::LanguageExtensions`` (used only for the dead-letter queues' conditional
   ``DeletionPolicy``/``UpdateReplacePolicy``) is applied here: those ``!If`` attributes are resolved
   against the stack parameters, and the transform is removed. The ``Rules`` section is evaluated
   here too (``check_rules``: a failed assertion stops the deploy with its AssertDescription, as
   CloudFormation would) and removed before the template is sent.

What the dropped resources said is not lost: each event source mapping becomes a poller mapping
(queue, function, BatchSize, FunctionResponseTypes) and each function's Environment.Variables are
resolved (Ref/GetAtt/Sub/If/Join against the deployed stack) into the environment `cargo lambda
watch` runs that function with — the local run uses the template's own wiring.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import yaml

LAMBDA_TYPES = {
    "AWS::Lambda::Function",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Version",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::Url",
    "AWS::Serverless::Function",
}
# created outside LocalStack (moto), referenced by name/ARN
ELSEWHERE_TYPES = {"AWS::DynamoDB::Table"}


# -- YAML with CloudFormation short-form tags ---------------------------------------------------
class _CfnLoader(yaml.SafeLoader):
    pass


def _construct(tag: str):
    def f(loader: yaml.Loader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if tag == "Ref":
            return {"Ref": value}
        if tag == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        if tag == "Condition":
            return {"Condition": value}
        return {f"Fn::{tag}": value}

    return f


for _tag in (
    "Ref",
    "GetAtt",
    "Sub",
    "Join",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Select",
    "Split",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Base64",
    "Cidr",
    "Condition",
    "Length",
    "ToJsonString",
    "Contains",
):
    _CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


def load_template(path: str) -> dict[str, Any]:
    with open(path) as f:
        text = f.read()
    if text.lstrip().startswith("{"):
        return json.loads(text)
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


# -- references ---------------------------------------------------------------------------------
def refs(node: Any) -> set[str]:
    """Logical ids a template fragment refers to (Ref, GetAtt, Sub ${X} / ${X.Attr}, DependsOn)."""
    out: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "Ref" and isinstance(v, str):
                out.add(v)
            elif k == "Fn::GetAtt":
                if isinstance(v, list) and v:
                    out.add(str(v[0]))
                elif isinstance(v, str):
                    out.add(v.split(".")[0])
            elif k == "Fn::Sub":
                s = v[0] if isinstance(v, list) else v
                if isinstance(s, str):
                    out.update(m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", s))
                if isinstance(v, list) and len(v) > 1:
                    out.update(refs(v[1]))
            out.update(refs(v))
    elif isinstance(node, list):
        for x in node:
            out.update(refs(x))
    return out


def _resource_refs(res: dict[str, Any]) -> set[str]:
    r = refs({k: v for k, v in res.items() if k != "DependsOn"})
    dep = res.get("DependsOn")
    if isinstance(dep, str):
        r.add(dep)
    elif isinstance(dep, list):
        r.update(dep)
    return r


def substitute(node: Any, values: dict[tuple[str, str], Any]) -> Any:
    """`node` with Ref X / GetAtt X.A / ${X} / ${X.A} of the logical ids in `values`
    ({(id, "Ref"): name, (id, "Arn"): arn-or-intrinsic}) replaced by those values."""
    if isinstance(node, list):
        return [substitute(x, values) for x in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((k, v),) = node.items()
        if k == "Ref" and isinstance(v, str) and (v, "Ref") in values:
            return values[(v, "Ref")]
        if k == "Fn::GetAtt":
            lid, attr = v.split(".", 1) if isinstance(v, str) else (v[0], v[1])
            if (lid, attr) in values:
                return values[(lid, attr)]
        if k == "Fn::Sub":
            text, extra = (v[0], v[1]) if isinstance(v, list) else (v, None)
            if isinstance(text, str):
                def sub(m: re.Match) -> str:
                    name = m.group(1)
                    key = tuple(name.split(".", 1)) if "." in name else (name, "Ref")
                    val = values.get(key)  # type: ignore[arg-type]
                    return val if isinstance(val, str) and "${" not in val else m.group(0)
                text = re.sub(r"\$\{([^!}][^}]*)\}", sub, text)
            return {"Fn::Sub": [text, substitute(extra, values)] if extra is not None else text}
    return {k: substitute(x, values) for k, x in node.items()}


def table_values(lid: str, name: str) -> dict[tuple[str, str], Any]:
    """What a table elsewhere stands for in the template: its name (Ref) and ARN (GetAtt .Arn)."""
    return {
        (lid, "Ref"): name,
        (lid, "Arn"): {"Fn::Sub": f"arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{name}"},
    }


def transform(
    tpl: dict[str, Any],
    visibility_timeout: int | None = 3,
    max_receive_count: int | None = None,
    table_name: Any = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (deployable template, what was dropped: {'dropped': {id: type}, 'functions': {...},
    'mappings': [...], 'queues': {id: {...}}, 'tables': {id: {'name', 'resource'}} }).
    table_name(lid) names a table created elsewhere (default: the logical id)."""
    tpl = copy.deepcopy(tpl)
    res: dict[str, Any] = tpl.get("Resources") or {}
    dropped: dict[str, str] = {}
    info: dict[str, Any] = {"functions": {}, "mappings": [], "dropped": dropped, "queueChanges": {}, "tables": {}}

    # tables live elsewhere (moto): out of the template, their references replaced by name / ARN
    values: dict[tuple[str, str], Any] = {}
    for lid in [lid for lid, r in res.items() if r.get("Type") in ELSEWHERE_TYPES]:
        r = res.pop(lid)
        name = (r.get("Properties") or {}).get("TableName") or (table_name(lid) if table_name else lid)
        info["tables"][lid] = {"name": name, "resource": copy.deepcopy(r)}
        values.update(table_values(lid, name) if isinstance(name, str) else {})
    if values:
        for lid in list(res):
            res[lid] = substitute(res[lid], values)
        if tpl.get("Outputs"):
            tpl["Outputs"] = substitute(tpl["Outputs"], values)

    for lid, r in res.items():
        t = r.get("Type")
        if t in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
            info["functions"][lid] = copy.deepcopy(r)
        elif t == "AWS::Lambda::EventSourceMapping":
            info["mappings"].append({"logicalId": lid, **copy.deepcopy(r)})
    for lid in [lid for lid, r in res.items() if r.get("Type") in LAMBDA_TYPES]:
        dropped[lid] = res[lid]["Type"]

    # fixpoint: drop what only dropped resources referenced
    while True:
        kept = {lid: r for lid, r in res.items() if lid not in dropped}
        referenced_by_kept: set[str] = set()
        for r in kept.values():
            referenced_by_kept |= _resource_refs(r)
        kept_outputs = {k: o for k, o in (tpl.get("Outputs") or {}).items() if not (refs(o) & set(dropped))}
        referenced_by_kept |= refs(kept_outputs)
        referenced_by_dropped: set[str] = set()
        for lid in dropped:
            referenced_by_dropped |= _resource_refs(res[lid])
        newly = {lid for lid in kept if lid in referenced_by_dropped and lid not in referenced_by_kept}
        newly |= {
            lid
            for lid, r in kept.items()
            if r.get("Type") == "AWS::CloudWatch::Alarm" and _resource_refs(r) & set(dropped)
        }
        # a rule whose every target is a dropped resource (it would invoke a function that is not here)
        for lid, r in kept.items():
            targets = (r.get("Properties") or {}).get("Targets") if r.get("Type") == "AWS::Events::Rule" else None
            if isinstance(targets, list) and targets and all(refs(t) and refs(t) <= set(dropped) for t in targets):
                newly.add(lid)
        if not newly:
            break
        for lid in newly:
            dropped[lid] = res[lid]["Type"]

    for lid in dropped:
        del res[lid]
    if tpl.get("Outputs"):
        tpl["Outputs"] = {k: o for k, o in tpl["Outputs"].items() if not (refs(o) & set(dropped))}
        if not tpl["Outputs"]:
            del tpl["Outputs"]

    # only the queues a dropped mapping consumed (the poller's queues); DLQs stay as written
    consumed: set[str] = set()
    for m in info["mappings"]:
        consumed |= refs((m.get("Properties") or {}).get("EventSourceArn"))
    for lid, r in res.items():
        if r.get("Type") != "AWS::SQS::Queue" or lid not in consumed:
            continue
        props = r.setdefault("Properties", {})
        change = {}
        if visibility_timeout is not None:
            change["VisibilityTimeout"] = [props.get("VisibilityTimeout"), visibility_timeout]
            props["VisibilityTimeout"] = visibility_timeout
        rp = props.get("RedrivePolicy")
        if isinstance(rp, dict) and max_receive_count is not None:
            old = rp.get("maxReceiveCount")
            try:
                old_n = int(old)
            except (TypeError, ValueError):
                old_n = None
            if old_n is None or old_n > max_receive_count:
                rp["maxReceiveCount"] = max_receive_count
                change["maxReceiveCount"] = [old, max_receive_count]
        info["queueChanges"][lid] = change
    return tpl, info


# -- intrinsic resolution (for the dropped functions' environment) -----------------------------
class Resolver:
    def __init__(
        self,
        tpl: dict[str, Any],
        params: dict[str, str],
        physical: dict[str, str],
        attrs: dict[tuple[str, str], str],
        pseudo: dict[str, str],
    ):
        self.tpl = tpl
        self.params = params
        self.physical = physical
        self.attrs = attrs
        self.pseudo = pseudo
        self._conds: dict[str, bool] = {}

    def param(self, name: str) -> str:
        if name in self.params:
            return self.params[name]
        p = (self.tpl.get("Parameters") or {}).get(name)
        if p is None:
            raise KeyError(name)
        d = p.get("Default", "")
        return ",".join(map(str, d)) if isinstance(d, list) else str(d)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in (self.tpl.get("Parameters") or {}):
            return self.param(name)
        if name in self.physical:
            return self.physical[name]
        raise KeyError(f"Ref {name}: not a parameter nor a deployed resource")

    def getatt(self, lid: str, attr: str) -> Any:
        if (lid, attr) in self.attrs:
            return self.attrs[(lid, attr)]
        raise KeyError(f"GetAtt {lid}.{attr}: unknown")

    def condition(self, name: str) -> bool:
        if name not in self._conds:
            self._conds[name] = bool(self.eval((self.tpl.get("Conditions") or {})[name]))
        return self._conds[name]

    def eval(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.eval(x) for x in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((k, v),) = node.items()
            if k == "Ref":
                return self.ref(v)
            if k == "Fn::GetAtt":
                lid, attr = v.split(".", 1) if isinstance(v, str) else v
                return self.getatt(lid, attr)
            if k == "Fn::Sub":
                s, extra = (v[0], self.eval(v[1])) if isinstance(v, list) else (v, {})

                def sub(m: re.Match) -> str:
                    name = m.group(1)
                    if name.startswith("!"):
                        return "${" + name[1:] + "}"
                    if name in extra:
                        return str(extra[name])
                    if "." in name:
                        a, b = name.split(".", 1)
                        return str(self.getatt(a, b))
                    return str(self.ref(name))

                return re.sub(r"\$\{([^}]+)\}", sub, s)
            if k == "Fn::Join":
                sep, items = v
                return sep.join(str(x) for x in self.eval(items))
            if k == "Fn::If":
                c, a, b = v
                return self.eval(a if self.condition(c) else b)
            if k == "Fn::Equals":
                a, b = self.eval(v)
                return str(a) == str(b)
            if k == "Fn::Not":
                return not self.eval(v[0])
            if k == "Fn::And":
                return all(self.eval(x) for x in v)
            if k == "Fn::Or":
                return any(self.eval(x) for x in v)
            if k == "Condition":
                return self.condition(v)
            if k == "Fn::Select":
                i, items = v
                return self.eval(items)[int(self.eval(i))]
            if k == "Fn::Split":
                sep, s = v
                return str(self.eval(s)).split(sep)
            if k == "Fn::ToJsonString":
                return json.dumps(self.eval(v))
            if k == "Fn::FindInMap":
                m, top, second = (self.eval(x) for x in v)
                return self.eval(self.tpl["Mappings"][m][top][second])
        out = {k: self.eval(x) for k, x in node.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}


NO_VALUE = object()


def resolve_env(resolver: Resolver, fn: dict[str, Any]) -> dict[str, str]:
    """A dropped function's Environment.Variables, resolved against the deployed stack."""
    variables = ((fn.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
    resolver.pseudo.setdefault("AWS::NoValue", NO_VALUE)  # type: ignore[arg-type]
    out: dict[str, str] = {}
    env = resolver.eval(variables)
    if isinstance(env, dict):
        for k, v in env.items():
            if v is NO_VALUE:
                continue
            out[k] = v if isinstance(v, str) else json.dumps(v) if isinstance(v, (dict, list)) else str(v)
    return out


LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"


def apply_language_extensions(tpl: dict[str, Any], resolver: "Resolver") -> list[str]:
    """Resolve the ``!If`` DeletionPolicy/UpdateReplacePolicy attributes and drop the transform
    (in place). Returns one line per resolved attribute. Any other use of the transform is refused."""
    transform = tpl.get("Transform")
    names = transform if isinstance(transform, list) else [transform] if transform else []
    if not names:
        return []
    if names != [LANGUAGE_EXTENSIONS]:
        raise SystemExit(f"error: template transforms {names}: only {LANGUAGE_EXTENSIONS} is applied locally")
    lines = []
    for lid, r in (tpl.get("Resources") or {}).items():
        for attr in ("DeletionPolicy", "UpdateReplacePolicy"):
            v = r.get(attr)
            if isinstance(v, dict):
                r[attr] = resolver.eval(v)
                lines.append(f"{lid}.{attr} = {r[attr]}")
    del tpl["Transform"]
    return lines


def _rule_eval(node: Any, resolver: "Resolver") -> Any:
    if isinstance(node, dict) and len(node) == 1:
        ((k, v),) = node.items()
        if k == "Fn::Contains":
            items, x = v
            return str(_rule_eval(x, resolver)) in [str(_rule_eval(i, resolver)) for i in items]
        if k == "Fn::Equals":
            a, b = v
            return str(_rule_eval(a, resolver)) == str(_rule_eval(b, resolver))
        if k == "Fn::Not":
            return not _rule_eval(v[0], resolver)
        if k == "Fn::And":
            return all(_rule_eval(x, resolver) for x in v)
        if k == "Fn::Or":
            return any(_rule_eval(x, resolver) for x in v)
    return resolver.eval(node)


def check_rules(tpl: dict[str, Any], resolver: "Resolver") -> list[str]:
    """Evaluate the template's Rules as CloudFormation does before creating anything; return the
    AssertDescription of every failed assertion (empty = the parameters pass)."""
    failed = []
    for name, rule in (tpl.get("Rules") or {}).items():
        cond = rule.get("RuleCondition")
        if cond is not None and not _rule_eval(cond, resolver):
            continue
        for a in rule.get("Assertions") or []:
            if not _rule_eval(a["Assert"], resolver):
                failed.append(f"{name}: {a.get('AssertDescription', '(no description)')}")
    return failed
