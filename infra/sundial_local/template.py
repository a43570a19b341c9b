"""template.yaml, read for the emulator: the one place that turns its resources into
emulated ones, so the local stack and the tests never restate the schema.

Three parts:

* `load_template`: YAML with CloudFormation's short-form tags (`!Ref`, `!Sub`,
  `!GetAtt`, `!If`, ...) turned into their long form (`{"Ref": ...}`, `{"Fn::Sub": ...}`).
* `Template`: a small resolver for the intrinsics that appear in resource properties:
  `Ref` (parameters with defaults or overrides, pseudo parameters, resources the
  caller named), `Fn::GetAtt` (attributes the caller supplies), `Fn::Sub`, `Fn::Join`,
  `Fn::Select`, `Fn::If`/`Fn::Equals`/`Fn::And`/`Fn::Or`/`Fn::Not` and conditions.
  Anything else raises UnsupportedIntrinsic naming it, rather than guessing.
* `create_tables`: every `AWS::DynamoDB::Table` created through a boto3 client.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError, ParamValidationError

log = logging.getLogger(__name__)

TEMPLATE_FILENAME = "template.yaml"
TABLE_TYPE = "AWS::DynamoDB::Table"
# What the emulator reports for pseudo parameters (moto's default account id).
DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_STACK_NAME = "sundial"
DEFAULT_REGION = "us-east-1"

# infra/sundial_local/template.py -> the repository root holding template.yaml
_REPO_ROOT = Path(__file__).resolve().parents[2]


class TemplateError(Exception):
    """template.yaml says something this emulator cannot honour."""


class UnsupportedIntrinsic(TemplateError):
    """An intrinsic function the local resolver does not implement."""


class _NoValue:
    """`AWS::NoValue`: the property it stands for is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


def default_template_path() -> Path:
    """template.yaml at the repository root (two levels above the `sundial` package)."""
    return _REPO_ROOT / TEMPLATE_FILENAME


# --- loading -------------------------------------------------------------------------------


# libyaml's parser when PyYAML has it: the template is read each time tables are made
# (every test's fresh emulated account), and the pure-Python parser takes 80 ms a read.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CloudFormationLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that also reads CloudFormation short-form tags into their long form."""


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)  # `!GetAtt Res.Attr` is `{"Fn::GetAtt": ["Res", "Attr"]}`
    return {f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: str | Path | None = None) -> dict[str, Any]:
    """The template as plain data, intrinsics in long form."""
    source = Path(path) if path is not None else default_template_path()
    with source.open(encoding="utf-8") as stream:
        body = yaml.load(stream, Loader=CloudFormationLoader)  # a SafeLoader subclass
    if not isinstance(body, dict) or "Resources" not in body:
        raise TemplateError(f"{source} is not a CloudFormation template")
    return body


# --- resolving -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A loaded template with its parameter values, ready to resolve intrinsics.

    `refs` maps resource logical ids to what `Ref` returns for them (a table name, a
    queue URL); `attributes` maps (logical id, attribute) to what `Fn::GetAtt` returns.
    The emulator fills both in as it creates resources.
    """

    body: dict[str, Any]
    parameters: dict[str, Any]
    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT_ID
    stack_name: str = DEFAULT_STACK_NAME
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        parameters: Mapping[str, Any] | None = None,
        *,
        region: str = DEFAULT_REGION,
    ) -> Template:
        """Load template.yaml (or `path`) with parameter `parameters` overriding defaults."""
        body = load_template(path)
        return cls(body, parameter_values(body, parameters or {}), region=region)

    def register(
        self, logical_id: str, ref: Any, attributes: Mapping[str, Any] | None = None
    ) -> None:
        """Record what `Ref` and `Fn::GetAtt` return for a resource the emulator created."""
        self.refs[logical_id] = ref
        for name, value in (attributes or {}).items():
            self.attributes[(logical_id, name)] = value

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resolved `Properties` of each resource of `resource_type` whose Condition holds."""
        found: dict[str, dict[str, Any]] = {}
        for logical_id, resource in self.body["Resources"].items():
            if resource.get("Type") != resource_type:
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            found[logical_id] = self.resolve(resource.get("Properties", {}))
        return found

    def condition(self, name: str) -> bool:
        """The value of a named condition of the template."""
        conditions = self.body.get("Conditions", {})
        if name not in conditions:
            raise TemplateError(f"unknown condition {name!r}")
        return _truth(self.resolve(conditions[name]))

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic evaluated and AWS::NoValue properties removed."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                return self._function(key, arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}"
            f":stack/{self.stack_name}/local",
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise TemplateError(f"Ref to {name!r}: not a parameter or a resource created yet")

    def _get_att(self, arg: Any) -> Any:
        logical_id, attribute = arg
        if (logical_id, attribute) not in self.attributes:
            raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute}: not known locally")
        return self.attributes[(logical_id, attribute)]

    def _function(self, key: str, arg: Any) -> Any:
        if key == "Fn::If":
            name, when_true, when_false = arg
            return self.resolve(when_true if self.condition(name) else when_false)
        if key == "Fn::Equals":
            left, right = (self.resolve(v) for v in arg)
            return _text(left) == _text(right)
        if key == "Fn::And":
            return all(_truth(self.resolve(v)) for v in arg)
        if key == "Fn::Or":
            return any(_truth(self.resolve(v)) for v in arg)
        if key == "Fn::Not":
            return not _truth(self.resolve(arg[0]))
        if key == "Fn::GetAtt":
            return self._get_att(self.resolve(arg))
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::Join":
            delimiter, items = arg
            return delimiter.join(_text(v) for v in self.resolve(items))
        if key == "Fn::Select":
            index, items = self.resolve(arg)
            return items[int(index)]
        raise UnsupportedIntrinsic(f"{key} is not supported by the local template resolver")

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else arg
        values = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is the escape for a literal ${Literal}
                return "${" + name[1:] + "}"
            if name in values:
                return _text(values[name])
            if "." in name and not name.startswith("AWS::"):
                return _text(self._get_att(name.split(".", 1)))
            return _text(self._ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)


def parameter_values(body: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Each parameter's value: the override, else the default; Number ones as numbers."""
    declared = body.get("Parameters", {})
    unknown = set(overrides) - set(declared)
    if unknown:
        raise TemplateError(f"unknown parameters: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            value = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no default and no value")
        if spec.get("Type") == "Number":
            value = _number(name, value)
        allowed = spec.get("AllowedValues")
        if allowed is not None and _text(value) not in [_text(a) for a in allowed]:
            raise TemplateError(f"parameter {name}={value!r} is not one of {allowed}")
        values[name] = value
    return values


def _number(name: str, value: Any) -> int | float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TemplateError(f"parameter {name} must be a number, got {value!r}") from None
    return int(number) if number.is_integer() else number


def _text(value: Any) -> str:
    # CloudFormation compares and substitutes scalars as strings; booleans spell lower-case.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _truth(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TemplateError(f"{value!r} is not a boolean")


# --- DynamoDB tables -----------------------------------------------------------------------

# CreateTable takes these as CloudFormation spells them.
_PASSTHROUGH = ("AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput")
_INDEX_FIELDS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")


def table_requests(
    name: str, properties: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """CreateTable arguments for a table's resolved CloudFormation properties.

    Returns (essential, optional): the table cannot work without the first; the
    second (encryption, deletion protection, class, tags) are niceties an emulator
    may not accept.
    """
    essential: dict[str, Any] = {"TableName": name}
    essential.update({k: properties[k] for k in _PASSTHROUGH if k in properties})
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if kind in properties:
            essential[kind] = [
                {k: index[k] for k in _INDEX_FIELDS if k in index} for index in properties[kind]
            ]
    if "StreamSpecification" in properties:
        view = properties["StreamSpecification"]["StreamViewType"]
        essential["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}

    optional: dict[str, Any] = {}
    if "SSESpecification" in properties:
        sse = properties["SSESpecification"]
        optional["SSESpecification"] = {"Enabled": _truth(sse.get("SSEEnabled", False))}
        for key in ("SSEType", "KMSMasterKeyId"):
            if key in sse:
                optional["SSESpecification"][key] = sse[key]
    if "DeletionProtectionEnabled" in properties:
        optional["DeletionProtectionEnabled"] = _truth(properties["DeletionProtectionEnabled"])
    if "TableClass" in properties:
        optional["TableClass"] = properties["TableClass"]
    if properties.get("Tags"):
        optional["Tags"] = properties["Tags"]
    return essential, optional


def create_tables(
    dynamodb_client: Any,
    template_path: str | Path | None = None,
    names: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    template: Template | None = None,
) -> dict[str, str]:
    """Create every AWS::DynamoDB::Table of the template; {logical id: table name}.

    A table is named by `names[logical_id]`, else its `TableName` property, else its
    logical id. After CreateTable come the settings CloudFormation applies with
    separate calls: UpdateTimeToLive and UpdateContinuousBackups (PITR).
    """
    if template is None:
        region = getattr(getattr(dynamodb_client, "meta", None), "region_name", None)
        template = Template.load(template_path, parameters, region=region or DEFAULT_REGION)
    tables = template.resources(TABLE_TYPE)
    names = dict(names or {})
    unknown = set(names) - set(tables)
    if unknown:
        raise TemplateError(f"no such tables in the template: {sorted(unknown)}")

    created: dict[str, str] = {}
    for logical_id, properties in tables.items():
        name = names.get(logical_id) or properties.get("TableName") or logical_id
        essential, optional = table_requests(name, properties)
        _create_table(dynamodb_client, essential, optional)
        dynamodb_client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and _truth(ttl.get("Enabled", False)):
            dynamodb_client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        pitr = properties.get("PointInTimeRecoverySpecification")
        if pitr and _truth(pitr.get("PointInTimeRecoveryEnabled", False)):
            _optional_call(
                "point-in-time recovery",
                name,
                lambda table=name: dynamodb_client.update_continuous_backups(
                    TableName=table,
                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
                ),
            )
        described = dynamodb_client.describe_table(TableName=name)["Table"]
        attributes = {"Arn": described.get("TableArn", name)}
        if described.get("LatestStreamArn"):
            attributes["StreamArn"] = described["LatestStreamArn"]
        template.register(logical_id, name, attributes)
        created[logical_id] = name
    return created


def _create_table(client: Any, essential: dict[str, Any], optional: dict[str, Any]) -> None:
    if not optional:
        client.create_table(**essential)
        return
    try:
        client.create_table(**essential, **optional)
    except (ClientError, ParamValidationError, NotImplementedError) as exc:
        if (
            isinstance(exc, ClientError)
            and exc.response["Error"]["Code"] == "ResourceInUseException"
        ):
            raise
        # Encryption, deletion protection, class and tags do not change how the table
        # behaves; an emulator that rejects them still gets a faithful table.
        log.warning("creating %s without %s: %s", essential["TableName"], sorted(optional), exc)
        client.create_table(**essential)


def _optional_call(what: str, table: str, call: Any) -> None:
    try:
        call()
    except (ClientError, NotImplementedError) as exc:
        # Backups and the like do not change behaviour; an emulator may not have them.
        log.warning("skipping %s on %s: %s", what, table, exc)


QUEUE_TYPE = "AWS::SQS::Queue"
# CloudFormation queue properties that are CreateQueue attributes of the same name.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
)


def queue_attributes(properties: Mapping[str, Any]) -> dict[str, str]:
    """CreateQueue attributes for a queue's resolved CloudFormation properties."""
    attributes = {
        k: _text(properties[k]).lower() if isinstance(properties[k], bool) else _text(properties[k])
        for k in _QUEUE_ATTRIBUTES
        if k in properties
    }
    if "RedrivePolicy" in properties:
        policy = properties["RedrivePolicy"]
        attributes["RedrivePolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
    return attributes


def create_queues(
    sqs_client: Any,
    template_path: str | Path | None = None,
    names: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    template: Template | None = None,
) -> dict[str, str]:
    """Create every AWS::SQS::Queue of the template; {logical id: queue URL}.

    A queue referring to another (a redrive policy's `!GetAtt DeadLetterQueue.Arn`) is
    created after it, as CloudFormation orders them.
    """
    if template is None:
        region = getattr(getattr(sqs_client, "meta", None), "region_name", None)
        template = Template.load(template_path, parameters, region=region or DEFAULT_REGION)
    pending = {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template.body["Resources"].items()
        if resource.get("Type") == QUEUE_TYPE
        and ("Condition" not in resource or template.condition(resource["Condition"]))
    }
    names = dict(names or {})
    created: dict[str, str] = {}
    while pending:
        progressed = False
        for logical_id, raw in list(pending.items()):
            try:
                properties = template.resolve(raw)
            except TemplateError:
                continue  # refers to a queue not created yet
            name = names.get(logical_id) or properties.get("QueueName") or logical_id
            url = sqs_client.create_queue(QueueName=name, Attributes=queue_attributes(properties))[
                "QueueUrl"
            ]
            arn = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            template.register(logical_id, url, {"Arn": arn, "QueueName": name, "QueueUrl": url})
            created[logical_id] = url
            del pending[logical_id]
            progressed = True
        if not progressed:
            raise TemplateError(
                f"queues refer to each other or to unknown resources: {sorted(pending)}"
            )
    return created


FUNCTION_TYPE = "AWS::Serverless::Function"


def function_environment(
    template: Template, logical_id: str | None = None, skip: frozenset[str] = frozenset()
) -> dict[str, str]:
    """The environment a function gets: Globals, then the function's own variables.

    Resolved against the resources registered so far; a variable naming something the
    emulator does not create (an API id, say) is left out, with a warning. Names in
    `skip` are left out silently (the caller sets them itself).
    """
    variables: dict[str, Any] = dict(
        template.body.get("Globals", {})
        .get("Function", {})
        .get("Environment", {})
        .get("Variables", {})
    )
    if logical_id is not None:
        own = template.body["Resources"][logical_id].get("Properties", {})
        variables.update(own.get("Environment", {}).get("Variables", {}))
    environment: dict[str, str] = {}
    for name, value in variables.items():
        if name in skip:
            continue
        try:
            resolved = template.resolve(value)
        except TemplateError as exc:
            log.warning("leaving %s unset locally: %s", name, exc)
            continue
        if resolved is not NO_VALUE:
            environment[name] = _text(resolved)
    return environment


def functions(template: Template) -> dict[str, dict[str, Any]]:
    """Raw properties of each AWS::Serverless::Function whose Condition holds, by logical
    id (one process shares one environment: a function the parameters leave out must not
    set variables there)."""
    return {
        logical_id: resource.get("Properties", {})
        for logical_id, resource in template.body["Resources"].items()
        if resource.get("Type") == FUNCTION_TYPE
        and ("Condition" not in resource or template.condition(resource["Condition"]))
    }
