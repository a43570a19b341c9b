"""template.yaml after the SAM transform, as CloudFormation will deploy it: functions,
log groups, queues, tables, IAM, alarms, dashboard, outputs.

The transform runs offline (aws-sam-translator); intrinsics are resolved by the local
stack's resolver with each resource standing for itself ("TasksTable.Arn")."""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from sundial_local.template import NO_VALUE, load_template

from sundial.api.settings import ApiSettings, AuthorizerSettings
from sundial.dispatch.settings import DispatcherSettings
from sundial.execute.settings import ExecutorSettings
from sundial.notify.settings import DelivererSettings, NotifierSettings
from sundial.settings import Settings

from .conftest import REPO, resolver, transform

SOURCE = load_template()
PARAMETERS = SOURCE["Parameters"]
FUNCTIONS = {
    "DispatcherFunction": "dispatcher",
    "ExecutorFunction": "executor",
    "ApiFunction": "api",
    "AuthorizerFunction": "authorizer",
    "NotifierFunction": "notifier",
    "DelivererFunction": "deliverer",
}
EXECUTOR_TIMEOUTS = PARAMETERS["ExecutorTimeoutSeconds"]["AllowedValues"]
# What each function checks its environment with at cold start.
SETTINGS: dict[str, type[Settings]] = {
    "DispatcherFunction": DispatcherSettings,
    "ExecutorFunction": ExecutorSettings,
    "ApiFunction": ApiSettings,
    "AuthorizerFunction": AuthorizerSettings,
    "NotifierFunction": NotifierSettings,
    "DelivererFunction": DelivererSettings,
}
# Variables read by Powertools and botocore themselves, not by a settings model.
NOT_SETTINGS = ("POWERTOOLS_", "AWS_ENDPOINT_URL")
# SQS's ceiling for a visibility timeout (12 h).
MAX_VISIBILITY_TIMEOUT = 43_200
# 14 days, the SQS maximum: dead letters wait for someone to look at them.
DEAD_LETTER_RETENTION = 1_209_600
# Actions that read or write data: these must name the resources they act on.
DATA_PLANE_PREFIXES = (
    "dynamodb:",
    "sqs:",
    "sns:",
    "lambda:Invoke",
    "events:Put",
    "s3:",
    "secretsmanager:",
    "kms:",
)
# AWS managed policies the roles may carry: logs, X-Ray, API Gateway logging. None
# grants data-plane access.
ALLOWED_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
}
TARGETS = {
    "TargetLambdaArns": "arn:aws:lambda:us-east-1:123456789012:function:report",
    "TargetQueueArns": "arn:aws:sqs:us-east-1:123456789012:jobs",
    "TargetTopicArns": "arn:aws:sns:us-east-1:123456789012:reports",
    "TargetEventBusArns": "arn:aws:events:us-east-1:123456789012:event-bus/default",
}
JWT_PARAMETERS = {
    "AuthMode": "JWT",
    "JwtIssuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123",
    "JwtAudience": "1example23456789",
}
# What the template's Rules require with a parameter's value.
RULE_COMPANIONS = {("AuthMode", "JWT"): JWT_PARAMETERS}
PARAMETER_SETS = {
    "defaults": {},
    "iam-auth": {"AuthMode": "IAM"},
    "jwt-auth": JWT_PARAMETERS,
    "metered-keys": {"TenantUsageKeys": "true"},
    # CloudFormation hands a CommaDelimitedList to Ref as a list.
    "every-target": {name: [arn] for name, arn in TARGETS.items()},
}


def of_type(body: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in body["Resources"].items() if r["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- functions -----------------------------------------------------------------------------


def test_the_template_has_the_six_functions(transformed):
    assert set(of_type(transformed, "AWS::Lambda::Function")) == set(FUNCTIONS)


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_function_is_python311_on_arm64_traced_as_the_tracing_parameter_says(
    transformed, logical_id
):
    properties = transformed["Resources"][logical_id]["Properties"]
    assert properties["Runtime"] == "python3.11"
    assert properties["Architectures"] == ["arm64"]
    assert properties["TracingConfig"] == {"Mode": {"Ref": "TracingMode"}}
    module, attribute = properties["Handler"].rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), attribute))


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_function_configures_powertools(transformed, logical_id):
    variables = transformed["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == FUNCTIONS[logical_id]
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Sundial"
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_function_is_given_the_variables_its_settings_require(transformed, logical_id):
    variables = transformed["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
    model = SETTINGS[logical_id]
    required = {name.upper() for name, field in model.model_fields.items() if field.is_required()}
    assert required and required <= set(variables), required - set(variables)


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_variable_a_function_is_given_is_read_by_its_settings(transformed, logical_id):
    """A misspelt variable would otherwise be ignored and its setting left at the default."""
    variables = transformed["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
    read = {name.upper() for name in SETTINGS[logical_id].model_fields}
    unread = {name for name in variables if not name.startswith(NOT_SETTINGS)} - read
    assert not unread


def _parameter_extremes() -> list[tuple[str, Any]]:
    """Each value a parameter that reaches a function's environment may take at its
    bounds: every allowed value, else its minimum and maximum."""
    environments = [SOURCE["Globals"]["Function"]["Environment"]] + [
        SOURCE["Resources"][logical_id]["Properties"]["Environment"] for logical_id in FUNCTIONS
    ]
    body = json.dumps(environments)
    cases = []
    for name, spec in PARAMETERS.items():
        if f'"Ref": "{name}"' not in body:
            continue
        values = spec.get("AllowedValues") or [
            spec[bound] for bound in ("MinValue", "MaxValue") if bound in spec
        ]
        cases += [(name, value) for value in values or [spec["Default"]]]
    return cases


@pytest.mark.parametrize("parameter, value", _parameter_extremes())
def test_every_value_the_parameters_allow_passes_the_functions_settings(
    parameter, value, settings_from
):
    # With the parameters the template's Rules require alongside it (deploys without
    # them are refused: test_jwt_mode_needs_an_issuer_and_an_audience).
    parameters = {parameter: value, **RULE_COMPANIONS.get((parameter, value), {})}
    body = transform(parameters)
    template = resolver(body, parameters)
    for logical_id, model in SETTINGS.items():
        if logical_id not in body["Resources"]:
            continue  # conditional (the authorizer with AuthMode=IAM)
        variables = template.resolve(
            body["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
        )
        settings_from(model, **{name: str(value) for name, value in variables.items()})


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_function_logs_to_its_own_group_with_a_retention(transformed, logical_id):
    resources = transformed["Resources"]
    function = resources[logical_id]
    group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    group = resources[group_id]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    # A conditional function has a log group under the same condition.
    assert group.get("Condition") == function.get("Condition")
    # Named as Lambda would name it, so nothing else ever creates it without retention.
    template = resolver(transformed)
    name = template.resolve(function["Properties"]["FunctionName"])
    assert template.resolve(group["Properties"]["LogGroupName"]) == f"/aws/lambda/{name}"
    others = [
        other_id
        for other_id, other in of_type(transformed, "AWS::Lambda::Function").items()
        if other["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] == group_id
    ]
    assert others == [logical_id]


def test_every_log_group_expires(transformed):
    groups = of_type(transformed, "AWS::Logs::LogGroup")
    assert len(groups) == len(FUNCTIONS) + 1  # and the API access log
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_tracing_costs_nothing_unless_turned_on():
    assert PARAMETERS["TracingMode"]["Default"] == "PassThrough"
    assert set(PARAMETERS["TracingMode"]["AllowedValues"]) == {"PassThrough", "Active"}


def test_the_api_stage_is_traced_with_the_functions_and_logged(transformed):
    (stage,) = of_type(transformed, "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["TracingEnabled"] == {"Fn::If": ["ActiveTracing", True, False]}
    assert stage["Properties"]["AccessLogSetting"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]
    }


# --- queues --------------------------------------------------------------------------------


def test_the_work_queue_feeds_the_executor_reporting_batch_item_failures(transformed):
    mappings = of_type(transformed, "AWS::Lambda::EventSourceMapping")
    assert set(mappings) == {
        "ExecutorWorkMapping",
        "NotifierRunsMapping",
        "NotifierTasksMapping",
        "DelivererMapping",
    }
    properties = mappings["ExecutorWorkMapping"]["Properties"]
    assert properties["FunctionName"] == {"Ref": "ExecutorFunction"}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["WorkQueue", "Arn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("timeout", EXECUTOR_TIMEOUTS)
def test_work_queue_visibility_is_six_executor_timeouts(transformed, timeout):
    template = resolver(transformed, {"ExecutorTimeoutSeconds": timeout})
    resources = transformed["Resources"]
    assert template.resolve(resources["ExecutorFunction"]["Properties"]["Timeout"]) == timeout
    visibility = template.resolve(resources["WorkQueue"]["Properties"]["VisibilityTimeout"])
    # AWS's rule for SQS event sources: a batch still running is never handed out twice.
    assert 6 * timeout <= visibility <= MAX_VISIBILITY_TIMEOUT


def test_executor_timeout_never_exceeds_the_lambda_maximum():
    assert max(EXECUTOR_TIMEOUTS) <= 900
    assert PARAMETERS["ExecutorTimeoutSeconds"]["Default"] in EXECUTOR_TIMEOUTS


def test_queues_are_encrypted_and_dead_letters_kept_fourteen_days(transformed):
    template = resolver(transformed)
    queues = of_type(transformed, "AWS::SQS::Queue")
    assert set(queues) == {
        "WorkQueue",
        "DeadLetterQueue",
        "NotificationsQueue",
        "NotificationsDeadLetterQueue",
    }
    for queue in queues.values():
        assert template.resolve(queue["Properties"])["SqsManagedSseEnabled"] is True
    for work, dead_letters in (
        ("WorkQueue", "DeadLetterQueue"),
        ("NotificationsQueue", "NotificationsDeadLetterQueue"),
    ):
        assert queues[dead_letters]["Properties"]["MessageRetentionPeriod"] == (
            DEAD_LETTER_RETENTION
        )
        redrive = queues[work]["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letters, "Arn"]}


# --- tables --------------------------------------------------------------------------------

# Tables whose loss loses data; the idempotency table is disposable (its records expire
# within a day), so it is not retained.
DURABLE_TABLES = ("TasksTable", "RunsTable", "KeysTable")


@pytest.mark.parametrize("protect", ["true", "false"])
def test_tables_are_encrypted_and_deletion_protection_follows_its_parameter(transformed, protect):
    template = resolver(transformed, {"DeletionProtection": protect})
    tables = of_type(transformed, "AWS::DynamoDB::Table")
    assert set(DURABLE_TABLES) < set(tables)
    for table in tables.values():
        properties = template.resolve(table["Properties"])
        assert properties["SSESpecification"] == {"SSEEnabled": True}
        assert properties["DeletionProtectionEnabled"] is (protect == "true")


@pytest.mark.parametrize("logical_id", DURABLE_TABLES)
def test_durable_tables_have_point_in_time_recovery_and_are_retained(transformed, logical_id):
    table = transformed["Resources"][logical_id]
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_every_table_has_point_in_time_recovery(transformed):
    for table in of_type(transformed, "AWS::DynamoDB::Table").values():
        recovery = table["Properties"]["PointInTimeRecoverySpecification"]
        assert recovery == {"PointInTimeRecoveryEnabled": True}


def test_runs_expire_by_ttl(transformed):
    ttl = transformed["Resources"]["RunsTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


# --- IAM -----------------------------------------------------------------------------------


def statements(body: dict[str, Any], parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """Every IAM policy statement of the stack, conditions evaluated."""
    template = resolver(body, parameters)
    found: list[dict[str, Any]] = []
    for logical_id, resource in body["Resources"].items():
        if "Condition" in resource and not template.condition(resource["Condition"]):
            continue
        properties = resource.get("Properties", {})
        documents: list[Any] = []
        if resource["Type"] == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in properties.get("Policies", [])]
            for arn in template.resolve(properties.get("ManagedPolicyArns", [])):
                assert arn in ALLOWED_MANAGED_POLICIES, (logical_id, arn)
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(properties["PolicyDocument"])
        for document in documents:
            for statement in as_list(template.resolve(document)["Statement"]):
                found.append({**statement, "_role": logical_id})
    return found


@pytest.mark.parametrize("parameters", PARAMETER_SETS.values(), ids=PARAMETER_SETS.keys())
def test_no_data_plane_action_is_granted_on_a_wildcard(transformed, parameters):
    checked = 0
    for statement in statements(transformed, parameters):
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        actions = as_list(statement["Action"])
        if not any(a.startswith(DATA_PLANE_PREFIXES) for a in actions):
            continue
        checked += 1
        for action in actions:
            assert "*" not in action, statement
        resources = as_list(statement["Resource"])
        assert resources, statement
        for resource in resources:
            assert isinstance(resource, str) and resource, statement
            assert "*" not in resource, statement
    assert checked >= 10  # the walk did find the functions' statements


def test_listed_targets_are_granted_exactly_and_empty_lists_grant_nothing(transformed):
    granted = statements(transformed, PARAMETER_SETS["every-target"])
    by_sid = {s.get("Sid"): s for s in granted}
    assert by_sid["InvokeTargetFunctions"]["Resource"] == [TARGETS["TargetLambdaArns"]]
    assert by_sid["SendToTargetQueues"]["Resource"] == [TARGETS["TargetQueueArns"]]
    assert by_sid["PublishToTargetTopics"]["Resource"] == [TARGETS["TargetTopicArns"]]
    assert by_sid["PutEventsOnTargetBuses"]["Resource"] == [TARGETS["TargetEventBusArns"]]
    default_sids = {s.get("Sid") for s in statements(transformed, {})}
    assert not default_sids & {
        "InvokeTargetFunctions",
        "SendToTargetQueues",
        "PublishToTargetTopics",
        "PutEventsOnTargetBuses",
    }


# --- alarms --------------------------------------------------------------------------------

ALARMS = {
    "DeadLettersAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    "DispatcherErrorsAlarm": ("AWS/Lambda", "Errors"),
    "DispatcherNotRunningAlarm": ("AWS/Lambda", "Invocations"),
    "ExecutorErrorRateAlarm": (None, None),  # metric math
    "TasksTableThrottlesAlarm": (None, None),
    "RunsTableThrottlesAlarm": (None, None),
    "RunLatenessAlarm": ("Sundial", "LatenessMs"),
    "DispatchLagAlarm": ("Sundial", "DispatchLag"),
    "NotificationsDeadLettersAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    "NotificationsFailedAlarm": ("Sundial", "NotificationsFailed"),
}


def alarm(body: dict[str, Any], logical_id: str) -> dict[str, Any]:
    resource = body["Resources"][logical_id]
    assert resource["Type"] == "AWS::CloudWatch::Alarm"
    return resource["Properties"]


def math_metrics(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["Id"]: m for m in properties["Metrics"]}


def test_the_stack_has_exactly_the_expected_alarms(transformed):
    assert set(of_type(transformed, "AWS::CloudWatch::Alarm")) == set(ALARMS)


@pytest.mark.parametrize("logical_id", ALARMS)
def test_each_alarm_notifies_the_alarm_topic(transformed, logical_id):
    properties = alarm(transformed, logical_id)
    assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert properties["OKActions"] == [{"Ref": "AlarmTopic"}]
    namespace, metric = ALARMS[logical_id]
    if namespace is not None:
        assert (properties["Namespace"], properties["MetricName"]) == (namespace, metric)


def test_dead_letters_alarm_fires_on_one_visible_message(transformed):
    properties = alarm(transformed, "DeadLettersAlarm")
    assert properties["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}
    ]
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (
        0,
        "GreaterThanThreshold",
    )


def test_dispatcher_errors_alarm_watches_the_dispatcher(transformed):
    properties = alarm(transformed, "DispatcherErrorsAlarm")
    assert properties["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "DispatcherFunction"}}
    ]


def test_dispatcher_not_running_for_three_minutes_alarms(transformed):
    properties = alarm(transformed, "DispatcherNotRunningAlarm")
    assert properties["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "DispatcherFunction"}}
    ]
    assert properties["Statistic"] == "Sum"
    assert properties["Period"] * properties["EvaluationPeriods"] == 180
    assert properties.get("DatapointsToAlarm", properties["EvaluationPeriods"]) == 3
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (1, "LessThanThreshold")
    # No data is what a dispatcher that stopped looks like.
    assert properties["TreatMissingData"] == "breaching"


def test_executor_error_rate_is_errors_over_invocations(transformed):
    properties = alarm(transformed, "ExecutorErrorRateAlarm")
    metrics = math_metrics(properties)
    for metric_id, name in (("errors", "Errors"), ("invocations", "Invocations")):
        stat = metrics[metric_id]["MetricStat"]
        assert stat["Metric"]["MetricName"] == name
        assert stat["Metric"]["Dimensions"] == [
            {"Name": "FunctionName", "Value": {"Ref": "ExecutorFunction"}}
        ]
        assert metrics[metric_id]["ReturnData"] is False
    (returned,) = [m for m in metrics.values() if m.get("ReturnData", True)]
    assert "errors / invocations" in returned["Expression"]
    assert properties["Threshold"] == {"Ref": "ExecutorErrorRatePercent"}


@pytest.mark.parametrize(
    "logical_id, table",
    [("TasksTableThrottlesAlarm", "TasksTable"), ("RunsTableThrottlesAlarm", "RunsTable")],
)
def test_throttle_alarms_count_reads_and_writes_of_their_table(transformed, logical_id, table):
    metrics = math_metrics(alarm(transformed, logical_id))
    watched = {
        (
            m["MetricStat"]["Metric"]["MetricName"],
            m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"],
        )
        for m in metrics.values()
        if "MetricStat" in m
    }
    assert {("ReadThrottleEvents", table), ("WriteThrottleEvents", table)} <= watched
    (returned,) = [m for m in metrics.values() if m.get("ReturnData", True)]
    for metric_id in metrics:
        if metric_id != returned["Id"]:
            assert metric_id in returned["Expression"]


@pytest.mark.parametrize(
    "logical_id, function",
    [("RunLatenessAlarm", "ExecutorFunction"), ("DispatchLagAlarm", "DispatcherFunction")],
)
def test_lateness_alarms_watch_the_metric_powertools_emits(transformed, logical_id, function):
    properties = alarm(transformed, logical_id)
    variables = transformed["Resources"][function]["Properties"]["Environment"]["Variables"]
    namespace, service = (
        variables["POWERTOOLS_METRICS_NAMESPACE"],
        variables["POWERTOOLS_SERVICE_NAME"],
    )
    assert properties["Namespace"] == namespace
    assert properties["Dimensions"] == [{"Name": "service", "Value": service}]
    assert properties["ExtendedStatistic"] == "p99"
    assert properties["Threshold"] == {"Ref": "LateFireThresholdMs"}
    # What Powertools writes for that namespace and service: one `service` dimension.
    emitter = Metrics(namespace=namespace, service=service)
    emitter.add_metric(properties["MetricName"], MetricUnit.Milliseconds, 1)
    document = emitter.serialize_metric_set()
    emitter.clear_metrics()
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert (directive["Namespace"], directive["Dimensions"]) == (namespace, [["service"]])
    assert document["service"] == service
    # ...and the function's code does emit that metric name.
    package = {"ExecutorFunction": "execute", "DispatcherFunction": "dispatch"}[function]
    source = (REPO / "functions" / "sundial" / package / "metrics.py").read_text()
    assert f'"{properties["MetricName"]}"' in source


def test_alarm_email_subscribes_only_when_given():
    default = transform()
    assert "Condition" in default["Resources"]["AlarmEmailSubscription"]
    assert resolver(default).condition("HasAlarmEmail") is False
    given = resolver(default, {"AlarmEmail": "ops@example.com"})
    assert given.condition("HasAlarmEmail") is True
    subscription = given.resolve(default["Resources"]["AlarmEmailSubscription"]["Properties"])
    assert subscription == {
        "TopicArn": "AlarmTopic",
        "Protocol": "email",
        "Endpoint": "ops@example.com",
    }


# --- dashboard and outputs -----------------------------------------------------------------

DASHBOARD_WIDGETS = {
    "Fires per minute",
    "Run outcomes per minute",
    "Lateness (ms)",
    "Backlog: work queue",
    "Dead letters",
    "Errors",
    "Throttles",
}


def test_dashboard_shows_fires_outcomes_lateness_backlog_dead_letters_errors_throttles(
    transformed,
):
    (dashboard,) = of_type(transformed, "AWS::CloudWatch::Dashboard").values()
    body = json.loads(resolver(transformed).resolve(dashboard["Properties"]["DashboardBody"]))
    titles = {w["properties"].get("title") for w in body["widgets"]}
    assert titles >= DASHBOARD_WIDGETS
    lateness = next(w for w in body["widgets"] if w["properties"].get("title") == "Lateness (ms)")
    stats = {m[-1].get("stat") for m in lateness["properties"]["metrics"]}
    assert {"p50", "p90", "p99"} <= stats
    alarms_widget = next(w for w in body["widgets"] if w["type"] == "alarm")
    assert {a.removesuffix(".Arn") for a in alarms_widget["properties"]["alarms"]} == set(ALARMS)


OUTPUTS = {
    "ApiUrl",
    "ConsoleUrl",
    "TasksTableName",
    "RunsTableName",
    "KeysTableName",
    "WorkQueueUrl",
    "DeadLetterQueueUrl",
    "AlarmTopicArn",
    "DashboardUrl",
}


def test_outputs_name_what_operators_need(transformed):
    assert set(transformed["Outputs"]) >= OUTPUTS
    template = resolver(transformed)
    template.register("ApiStage", "v1")
    assert template.resolve(transformed["Outputs"]["ConsoleUrl"]["Value"]).endswith("/v1/console")


# --- parameters and samconfig --------------------------------------------------------------

ISSUE_PARAMETERS = {
    "AuthMode",
    "ShardCount",
    "HorizonSeconds",
    "ExecutorMaximumConcurrency",
    "ExecutorTimeoutSeconds",
    "RunRetentionDays",
    "AlarmEmail",
    "AllowPrivateTargets",
    "TargetLambdaArns",
    "TargetQueueArns",
    "TargetTopicArns",
    "TargetEventBusArns",
    "LogRetentionDays",
    "DeletionProtection",
}


def test_parameters_have_safe_defaults_and_constraints():
    assert set(PARAMETERS) >= ISSUE_PARAMETERS
    for name, spec in PARAMETERS.items():
        assert "Default" in spec, name
        assert spec.get("Description"), name
        if spec["Type"] == "CommaDelimitedList":
            assert spec["Default"] == "", name  # nothing granted until listed
            continue
        constrained = {"AllowedValues", "AllowedPattern", "MinValue", "MaxValue"} & set(spec)
        assert constrained, f"{name} takes any value"
    assert PARAMETERS["AllowPrivateTargets"]["Default"] == "false"


def test_every_parameter_default_transforms(transformed):
    template = resolver(transformed)
    for name in PARAMETERS:
        assert template.resolve({"Ref": name}) is not NO_VALUE


def test_samconfig_deploys_with_the_capabilities_the_template_needs(transformed):
    config = tomllib.loads((REPO / "samconfig.toml").read_text())["default"]
    deploy = config["deploy"]["parameters"]
    capabilities = set(deploy["capabilities"].split())
    named = any(
        "RoleName" in r.get("Properties", {})
        for r in of_type(transformed, "AWS::IAM::Role").values()
    )
    assert ("CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM") in capabilities
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True
    for section in ("local_invoke", "local_start_api"):
        assert (REPO / config[section]["parameters"]["env_vars"]).is_file()


def test_build_output_and_local_files_are_not_committed():
    ignored = (REPO / ".gitignore").read_text().split()
    assert ".aws-sam/" in ignored and ".venv/" in ignored
    assert Path(REPO / "infra" / "events").is_dir()


@pytest.mark.parametrize(
    "name, accepted, refused",
    [
        ("AlarmEmail", ["", "ops@example.com"], ["ops", "two words@example.com"]),
        ("EmulatorEndpointUrl", ["", "http://host.docker.internal:5050"], ["localhost:5050"]),
        (
            "JwtIssuer",
            ["", "https://example.auth0.com/", "https://cognito-idp.eu-west-1.amazonaws.com/x"],
            ["http://example.auth0.com/", "example.auth0.com", "https://a b"],
        ),
        ("JwtJwksUrl", ["", "https://example.com/jwks.json"], ["http://example.com/jwks.json"]),
        ("JwtTenantClaim", ["sub", "custom:tenant", "https://example.com/tenant"], ["", "a b"]),
    ],
)
def test_free_text_parameters_are_patterned(name, accepted, refused):
    pattern = re.compile(PARAMETERS[name]["AllowedPattern"])
    assert all(pattern.fullmatch(value) for value in accepted)
    assert not any(pattern.fullmatch(value) for value in refused)


# --- encryption ----------------------------------------------------------------------------

CUSTOMER_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
# Where each kind of resource names its KMS key.
KEY_PROPERTY = {
    "AWS::DynamoDB::Table": "SSESpecification",
    "AWS::SQS::Queue": "KmsMasterKeyId",
    "AWS::SNS::Topic": "KmsMasterKeyId",
    "AWS::Logs::LogGroup": "KmsKeyId",
    "AWS::SecretsManager::Secret": "KmsKeyId",
    "AWS::Lambda::Function": "KmsKeyArn",
}
# The roles that send to the work or dead-letter queue need a data key too.
SQS_PRODUCERS = (
    "DispatcherFunctionRole",
    "ExecutorFunctionRole",
    "ApiFunctionRole",
    "NotifierFunctionRole",
    "DelivererFunctionRole",
)


def keyed_resources(body: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Every resource that holds data or logs, properties resolved, conditions applied."""
    template = resolver(body, parameters)
    found: dict[str, Any] = {}
    for logical_id, resource in body["Resources"].items():
        if resource["Type"] not in KEY_PROPERTY:
            continue
        if "Condition" in resource and not template.condition(resource["Condition"]):
            continue
        found[logical_id] = (resource["Type"], template.resolve(resource["Properties"]))
    return found


def test_a_customer_key_encrypts_every_table_queue_topic_log_group_secret_and_environment(
    transformed,
):
    resources = keyed_resources(transformed, {"KmsKeyArn": CUSTOMER_KEY})
    kinds = {kind for kind, _ in resources.values()}
    assert kinds == set(KEY_PROPERTY)
    for logical_id, (kind, properties) in resources.items():
        if kind == "AWS::DynamoDB::Table":
            assert properties["SSESpecification"] == {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": CUSTOMER_KEY,
            }, logical_id
        else:
            assert properties[KEY_PROPERTY[kind]] == CUSTOMER_KEY, logical_id
        if kind == "AWS::SQS::Queue":
            assert "SqsManagedSseEnabled" not in properties, logical_id


def test_without_a_customer_key_aws_keys_encrypt_and_no_key_is_named(transformed):
    for logical_id, (kind, properties) in keyed_resources(transformed, {}).items():
        if kind == "AWS::DynamoDB::Table":
            assert properties["SSESpecification"] == {"SSEEnabled": True}, logical_id
        else:
            assert KEY_PROPERTY[kind] not in properties, logical_id
        if kind == "AWS::SQS::Queue":
            assert properties["SqsManagedSseEnabled"] is True, logical_id
    assert not [s for s in statements(transformed, {}) if "kms:" in str(s["Action"])]


def test_every_function_role_may_use_the_customer_key(transformed):
    granted: dict[str, set[str]] = {}
    for statement in statements(transformed, {"KmsKeyArn": CUSTOMER_KEY}):
        actions = [a for a in as_list(statement["Action"]) if a.startswith("kms:")]
        if actions:
            assert as_list(statement["Resource"]) == [CUSTOMER_KEY], statement
            granted.setdefault(statement["_role"], set()).update(actions)
    roles = {f"{function}Role" for function in FUNCTIONS}
    assert set(granted) == roles
    for role in roles:
        # Lambda decrypts each function's environment with its role.
        assert "kms:Decrypt" in granted[role], role
    for role in SQS_PRODUCERS:
        assert granted[role] == {"kms:Decrypt", "kms:GenerateDataKey"}, role


def test_the_customer_key_parameter_takes_a_key_arn_only():
    pattern = re.compile(PARAMETERS["KmsKeyArn"]["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch(CUSTOMER_KEY)
    assert pattern.fullmatch("arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1a2b3c")
    # Log groups and grants need the key itself, not an alias.
    assert not pattern.fullmatch("arn:aws:kms:us-east-1:123456789012:alias/sundial")
    assert not pattern.fullmatch("1234abcd-12ab-34cd-56ef-1234567890ab")


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.parametrize("maximum", [2, 100, 400])
def test_the_executor_reserves_what_its_event_source_mapping_may_run(transformed, maximum):
    template = resolver(transformed, {"ExecutorMaximumConcurrency": maximum})
    resources = transformed["Resources"]
    function = template.resolve(resources["ExecutorFunction"]["Properties"])
    mapping = template.resolve(resources["ExecutorWorkMapping"]["Properties"])
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == maximum
    assert function["ReservedConcurrentExecutions"] == maximum


def test_the_api_function_is_capped_by_its_reserved_concurrency(transformed):
    template = resolver(transformed, {"ApiReservedConcurrency": 30})
    function = template.resolve(transformed["Resources"]["ApiFunction"]["Properties"])
    assert function["ReservedConcurrentExecutions"] == 30
    assert PARAMETERS["ApiReservedConcurrency"]["Default"] >= 1


# --- least privilege -----------------------------------------------------------------------


@pytest.mark.parametrize("legacy", ["false", "true"])
def test_the_dispatcher_may_query_the_due_index_it_is_told_to_sweep(transformed, legacy):
    parameters = {"LegacyDueIndex": legacy}
    template = resolver(transformed, parameters)
    function = template.resolve(transformed["Resources"]["DispatcherFunction"]["Properties"])
    due_index = function["Environment"]["Variables"]["DUE_INDEX"]
    queried = {
        resource
        for statement in statements(transformed, parameters)
        if statement["_role"] == "DispatcherFunctionRole"
        and "dynamodb:Query" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    assert f"TasksTable.Arn/index/{due_index}" in queried
    assert queried <= {"TasksTable.Arn/index/schedule_due", "TasksTable.Arn/index/due"}


# --- JWT auth mode -------------------------------------------------------------------------


def test_jwt_mode_needs_an_issuer_and_an_audience():
    rule = SOURCE["Rules"]["JwtModeNamesItsIssuer"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "AuthMode"}, "JWT"]}
    asserted = json.dumps(rule["Assertions"])
    assert '"Ref": "JwtIssuer"' in asserted and '"Ref": "JwtAudience"' in asserted


@pytest.mark.parametrize("mode", ["API_KEY", "JWT"])
def test_bearer_modes_cache_the_authorizers_policy_by_the_whole_authorization_header(
    transformed, mode
):
    # The cache key is the identity source: the token itself, so that a cached policy
    # (which carries one tenant) never answers for another token.
    parameters = JWT_PARAMETERS if mode == "JWT" else {}
    template = resolver(transformed, parameters)
    authorizer = transformed["Resources"]["KeyAuthorizer"]
    assert template.condition(authorizer["Condition"])
    properties = template.resolve(authorizer["Properties"])
    assert properties["Type"] == "TOKEN"
    assert properties["IdentitySource"] == "method.request.header.Authorization"
    for method in ("ApiProxyMethod", "ApiRootMethod"):
        resolved = template.resolve(transformed["Resources"][method]["Properties"])
        assert (resolved["AuthorizationType"], resolved["AuthorizerId"]) == (
            "CUSTOM",
            "KeyAuthorizer",
        )


def test_jwt_mode_configures_the_authorizer_and_deploys_its_own_snapshot(transformed):
    template = resolver(transformed, JWT_PARAMETERS)
    variables = template.resolve(
        transformed["Resources"]["AuthorizerFunction"]["Properties"]["Environment"]["Variables"]
    )
    assert variables["AUTH_MODE"] == "JWT"
    assert variables["JWT_ISSUER"] == JWT_PARAMETERS["JwtIssuer"]
    assert variables["JWT_AUDIENCE"] == JWT_PARAMETERS["JwtAudience"]
    assert variables["JWT_TENANT_CLAIM"] == "sub"
    stage = template.resolve(transformed["Resources"]["ApiStage"]["Properties"])
    assert stage["DeploymentId"] == "ApiDeploymentJwt"
    unauthorized = template.resolve(
        transformed["Resources"]["ApiResponseUnauthorized"]["Properties"]["ResponseTemplates"]
    )
    assert "Bearer <JWT>" in json.loads(unauthorized["application/json"])["error"]["message"]


def test_jwt_mode_grants_the_authorizer_no_table(transformed):
    granted = [
        s for s in statements(transformed, JWT_PARAMETERS) if s["_role"] == "AuthorizerFunctionRole"
    ]
    assert not any("dynamodb:" in json.dumps(s["Action"]) for s in granted)
    keys = [s for s in statements(transformed, {}) if s["_role"] == "AuthorizerFunctionRole"]
    assert any(s.get("Sid") == "LookUpKeys" for s in keys)


def test_iam_mode_has_no_authorizer(transformed):
    template = resolver(transformed, {"AuthMode": "IAM"})
    for logical_id in ("AuthorizerFunction", "KeyAuthorizer", "AuthorizerPermission"):
        assert not template.condition(transformed["Resources"][logical_id]["Condition"])


# --- notifications -------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["RunsTable", "TasksTable"])
def test_both_tables_stream_old_and_new_images(transformed, table):
    properties = transformed["Resources"][table]["Properties"]
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


@pytest.mark.parametrize(
    ("logical_id", "table"),
    [("NotifierRunsMapping", "RunsTable"), ("NotifierTasksMapping", "TasksTable")],
)
def test_the_stream_mappings_filter_retry_from_the_failed_record_and_report_what_they_give_up(
    transformed, logical_id, table
):
    properties = transformed["Resources"][logical_id]["Properties"]
    assert properties["FunctionName"] == {"Ref": "NotifierFunction"}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": [table, "StreamArn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["StartingPosition"] == "TRIM_HORIZON"  # nothing written is skipped
    assert properties["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["NotificationsDeadLetterQueue", "Arn"]
    }
    for entry in properties["FilterCriteria"]["Filters"]:
        assert set(json.loads(entry["Pattern"])) == {"dynamodb"}  # the only key Lambda filters


def test_the_notifications_queue_feeds_the_deliverer_reporting_batch_item_failures(transformed):
    properties = transformed["Resources"]["DelivererMapping"]["Properties"]
    assert properties["FunctionName"] == {"Ref": "DelivererFunction"}
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["NotificationsQueue", "Arn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    template = resolver(transformed)
    timeout = template.resolve(transformed["Resources"]["DelivererFunction"]["Properties"])[
        "Timeout"
    ]
    visibility = transformed["Resources"]["NotificationsQueue"]["Properties"]["VisibilityTimeout"]
    assert 6 * timeout <= visibility


def test_the_notifier_reads_only_the_streams_and_tasks_and_sends_only_notifications(transformed):
    granted = [s for s in statements(transformed, {}) if s["_role"] == "NotifierFunctionRole"]
    resources = {r for s in granted for r in as_list(s["Resource"]) if "kms" not in r}
    assert resources == {
        "TasksTable.StreamArn",
        "RunsTable.StreamArn",
        "TasksTable.Arn",
        "NotificationsQueue.Arn",
        "NotificationsDeadLetterQueue.Arn",
    }


def test_destinations_are_granted_by_the_target_lists_and_nothing_by_default(transformed):
    sids = {"SendToTargetQueues", "PublishToTargetTopics", "PutEventsOnTargetBuses"}
    granted = statements(transformed, PARAMETER_SETS["every-target"])
    deliverer = {s["Sid"]: s for s in granted if s["_role"] == "DelivererFunctionRole"}
    assert deliverer["SendToTargetQueues"]["Resource"] == [TARGETS["TargetQueueArns"]]
    assert deliverer["PublishToTargetTopics"]["Resource"] == [TARGETS["TargetTopicArns"]]
    assert deliverer["PutEventsOnTargetBuses"]["Resource"] == [TARGETS["TargetEventBusArns"]]
    by_default = {
        s.get("Sid") for s in statements(transformed, {}) if s["_role"] == "DelivererFunctionRole"
    }
    assert not by_default & sids


def test_the_notifications_failed_alarm_watches_the_deliverer(transformed):
    properties = alarm(transformed, "NotificationsFailedAlarm")
    assert properties["Dimensions"] == [{"Name": "service", "Value": "deliverer"}]
    dead = alarm(transformed, "NotificationsDeadLettersAlarm")
    assert dead["Dimensions"] == [
        {
            "Name": "QueueName",
            "Value": {"Fn::GetAtt": ["NotificationsDeadLetterQueue", "QueueName"]},
        }
    ]
