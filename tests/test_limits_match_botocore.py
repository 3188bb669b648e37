"""The limits the model enforces, checked against the API documentation in botocore's service
models, so a change on AWS's side fails here instead of at deploy time."""

from __future__ import annotations

import re

import botocore.session
import pytest

from environments import limits


def documentation(service: str, shape: str, member: str) -> str:
    model = botocore.session.get_session().get_service_model(service)
    text = model.shape_for(shape).members[member].documentation
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_fargate_task_sizes():
    text = documentation("ecs", "RegisterTaskDefinitionRequest", "memory")
    documented: dict[int, set[int]] = {}
    # Rows end in "- Available cpu values: <cpu>"; a row is a list of MiB values or a range:
    # "Between 4096 (4 GB) and 16384 (16 GB) in increments of 1024 (1 GB)", "Between 16 GB and 60 GB in 4 GB increments"
    rows = re.split(r"- Available cpu values: (\d+)", text.split("must use one of the following values.")[1])
    for row, cpu in zip(rows[0::2], rows[1::2], strict=False):
        between = re.search(r"Between (\d+)\s?(GB)?.*? and (\d+)\s?(GB)?.*? in (?:increments of )?(\d+)\s?(GB)?", row)
        if between:
            low, low_gb, high, high_gb, step, step_gb = between.groups()
            pairs = ((low, low_gb), (high, high_gb), (step, step_gb))
            mib = [int(value) * (1024 if unit else 1) for value, unit in pairs]
            documented[int(cpu)] = set(range(mib[0], mib[1] + 1, mib[2]))
        else:
            documented[int(cpu)] = {int(value) for value in re.findall(r"(\d+) \(", row)}
    assert documented == {cpu: set(memory) for cpu, memory in limits.FARGATE_TASK_MEMORY.items()}


def test_log_retention_values():
    text = documentation("logs", "PutRetentionPolicyRequest", "retentionInDays")
    documented = tuple(int(value) for value in re.findall(r"\d+", text.split("Possible values are:")[1].split(".")[0]))
    assert documented == limits.LOG_RETENTION_DAYS


@pytest.mark.parametrize("member, bounds", [
    ("interval", limits.HEALTH_CHECK_INTERVAL),
    ("timeout", limits.HEALTH_CHECK_TIMEOUT),
    ("retries", limits.HEALTH_CHECK_RETRIES),
    ("startPeriod", limits.HEALTH_CHECK_START_PERIOD),
])
def test_health_check_bounds(member, bounds):
    text = documentation("ecs", "HealthCheck", member)
    assert f"between {bounds[0]} and {bounds[1]}" in text


@pytest.mark.parametrize("member, bounds", [
    ("startTimeout", limits.FARGATE_START_TIMEOUT),
    ("stopTimeout", limits.FARGATE_STOP_TIMEOUT),
])
def test_fargate_container_timeouts(member, bounds):
    text = documentation("ecs", "ContainerDefinition", member)
    assert f"The valid values for Fargate are {bounds[0]}-{bounds[1]} seconds" in text


def test_ephemeral_storage_bounds():
    text = documentation("ecs", "EphemeralStorage", "sizeInGiB")
    low, high = limits.FARGATE_EPHEMERAL_STORAGE_GIB
    assert f"minimum supported value is {low} GiB" in text and f"maximum supported value is {high} GiB" in text


@pytest.mark.parametrize("shape, attribute, bounds", [
    ("TargetGroupAttribute", "deregistration_delay.timeout_seconds", limits.ALB_DEREGISTRATION_DELAY),
    ("LoadBalancerAttribute", "idle_timeout.timeout_seconds", limits.ALB_IDLE_TIMEOUT),
])
def test_load_balancer_timing_bounds(shape, attribute, bounds):
    described = documentation("elbv2", shape, "Key")
    described = described[described.index(attribute):]
    low, high = map(int, re.search(r"range is (\d+)-(\d+) seconds", described).groups())
    assert (low, high) == bounds, described[:200]


@pytest.mark.parametrize("service, key_shape, value_shape", [
    ("ecs", "TagKey", "TagValue"), ("elbv2", "TagKey", "TagValue"), ("wafv2", "TagKey", "TagValue"),
    ("cloudfront", "TagKey", "TagValue"), ("ssm", "TagKey", "TagValue"), ("logs", "TagKey", "TagValue"),
])
def test_tag_alphabet_and_lengths(service, key_shape, value_shape):
    """The tag rules of the model (letters, separators, numbers and limits.TAG_PUNCTUATION) are
    every tagging API's the stacks call."""
    model = botocore.session.get_session().get_service_model(service)
    key, value = model.shape_for(key_shape).metadata, model.shape_for(value_shape).metadata
    alphabet = r"[\p{L}\p{Z}\p{N}" + limits.TAG_PUNCTUATION.replace("-", r"\-") + "]"
    for shape in (key, value):
        assert re.fullmatch(r"\^?\(" + re.escape(alphabet) + r"[*+]\)\$?", shape["pattern"]), shape["pattern"]
    assert (key["min"], key["max"]) == limits.TAG_KEY_LENGTH
    assert value["max"] == limits.TAG_VALUE_MAX_LENGTH


def test_secret_rotation_days():
    """database.password_rotation_days: what RotateSecret accepts as AutomaticallyAfterDays."""
    model = botocore.session.get_session().get_service_model("secretsmanager")
    days = model.shape_for("RotationRulesType").members["AutomaticallyAfterDays"].metadata
    assert (days["min"], days["max"]) == limits.SECRET_ROTATION_DAYS
