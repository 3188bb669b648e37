"""Every validation rule, with a case it must accept and a case it must reject.

Cases edit a copy of a shipped environment file with tomlkit (so the input is real TOML, as a
user would write it) and load it with the real loader. A rejection must name the file, the
field, the bad value and what would be accepted.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import tomlkit

from environments import retirements
from environments.loader import load_environments
from environments.model import Providers
from environments.problems import InvalidEnvironment
from environments.workspace import MAX_PREFIX_LENGTH
from tests.conftest import ENVIRONMENTS, SHIPPED_WORKSPACES

Edit = Callable[[dict], None]


def load_edited(tmp_path: Path, base: str, edit: Edit, *, filename: str | None = None) -> list[str]:
    shutil.copy(ENVIRONMENTS / "project.toml", tmp_path / "project.toml")
    document = tomlkit.parse((ENVIRONMENTS / f"{base}.toml").read_text())
    edit(document)
    target = tmp_path / (filename or f"{base}.toml")
    target.write_text(tomlkit.dumps(document))
    try:
        load_environments([str(target)], directory=tmp_path)
    except InvalidEnvironment as error:
        return [str(problem) for problem in error.problems]
    return []


def setting(path: str, value: object) -> Edit:
    def edit(document: dict) -> None:
        *parents, last = path.split(".")
        table = document
        for part in parents:
            table = table[part]
        table[last] = value
    return edit


def remove(path: str) -> Edit:
    def edit(document: dict) -> None:
        *parents, last = path.split(".")
        table = document
        for part in parents:
            table = table[part]
        del table[last]
    return edit


def both(*edits: Edit) -> Edit:
    def edit(document: dict) -> None:
        for each in edits:
            each(document)
    return edit


DIGEST = "sha256:" + "a" * 64
LITELLM_REPO = "ghcr.io/berriai/litellm-non_root"
DESIGN_DOC_VPC = both(  # the layout one design document shipped: a /20 with subnets beyond it
    setting("network.vpc_cidr", "10.1.0.0/20"),
    setting("network.public_subnets", ["10.1.1.0/24", "10.1.2.0/24"]),
    setting("network.private_subnets", ["10.1.11.0/24", "10.1.12.0/24"]),
    setting("network.database_subnets", ["10.1.21.0/24", "10.1.22.0/24"]),
)

# (case id, base workspace, edit, field named in the message, fragments the message must contain)
CDN_NAME = setting("ingress.domain", {"name": "llm-dev.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"})
BAD_CASES = [
    ("cidr-unparsable", "dev", setting("network.vpc_cidr", "10.0.0.0/33"), "network.vpc_cidr",
     ['"10.0.0.0/33"', "10.0.0.0/16"]),
    ("cidr-host-bits", "dev", setting("network.public_subnets", ["10.0.1.5/24", "10.0.2.0/24"]),
     "network.public_subnets[0]", ['"10.0.1.5/24"', "did you mean 10.0.1.0/24"]),
    ("cidr-ipv6", "dev", setting("ingress.allowed_cidrs", ["2001:db8::/32"]), "ingress.allowed_cidrs[0]",
     ["IPv6", "IPv4"]),
    ("subnet-outside-vpc-design-doc", "dev", DESIGN_DOC_VPC, "network.database_subnets[0]",
     ['"10.1.21.0/24"', "outside the VPC 10.1.0.0/20", "10.1.15.255", "widen network.vpc_cidr"]),
    ("subnets-overlap", "dev", setting("network.private_subnets", ["10.0.1.128/25", "10.0.20.0/24"]),
     "network.private_subnets[0]", ['= "10.0.1.128/25"', "overlaps network.public_subnets[0]",
                                    "must not share addresses"]),
    ("zone-twice", "dev", setting("network.availability_zones", ["eu-west-1a", "eu-west-1a"]),
     "network.availability_zones", ["lists a zone twice; list each zone once"]),
    ("zone-with-a-digit-for-a-letter", "dev", setting("network.availability_zones", ["eu-west-1a", "eu-west-11"]),
     "network.availability_zones", ['"eu-west-11"', "zones look like eu-west-1a"]),
    ("vpc-too-large", "dev", both(setting("network.vpc_cidr", "10.0.0.0/8")), "network.vpc_cidr",
     ["/16 to /28"]),
    ("subnet-too-small", "dev", setting("network.public_subnets", ["10.0.1.0/29", "10.0.2.0/24"]),
     "network.public_subnets[0]", ["/28 or larger"]),
    ("one-zone", "dev", both(
        setting("network.availability_zones", ["eu-west-1a"]),
        setting("network.public_subnets", ["10.0.1.0/24"]),
        setting("network.private_subnets", ["10.0.10.0/24"]),
        setting("network.database_subnets", ["10.0.100.0/24"]),
    ), "network.availability_zones", ["at least 2 zones", "eu-west-1b"]),
    ("zone-of-other-region", "dev", setting("network.availability_zones", ["eu-west-1a", "us-east-1b"]),
     "network.availability_zones", ['"us-east-1b"', "zones look like eu-west-1a"]),
    ("subnets-per-zone", "dev", setting("network.private_subnets", ["10.0.10.0/24"]), "network.private_subnets",
     ["1 entries but there are 2 zones", "one subnet per zone"]),
    ("fargate-cpu", "dev", setting("task.cpu", 3000), "task.cpu", ["= 3000", "256, 512, 1024"]),
    ("fargate-memory", "dev", setting("task.memory", 5000), "task.memory",
     ["= 5000", "task.cpu = 2048", "4096 to 16384 in steps of 1024"]),
    ("fargate-memory-of-the-smallest-task", "dev", both(setting("task.cpu", 256), setting("task.memory", 4096)),
     "task.memory", ["= 4096", "task.cpu = 256", "use 512, 1024, 2048"]),
    ("fargate-memory-of-a-half-vcpu-task", "dev", both(setting("task.cpu", 512), setting("task.memory", 8192)),
     "task.memory", ["= 8192", "task.cpu = 512", "use 1024 to 4096 in steps of 1024"]),
    ("containers-exceed-cpu", "dev", setting("task.litellm.cpu", 1536), "task.litellm.cpu",
     ["= 1536", "2560 CPU units", "exceed the task's 2048"]),
    ("containers-exceed-memory", "dev", setting("task.ollama.memory", 5120), "task.litellm.memory",
     ["8192 MiB", "exceed the task's 7168", "raise task.memory"]),
    ("ollama-memory-full-at-4k-context", "dev", setting("task.ollama.memory", 3072), "task.ollama.memory",
     ["= 3072", "about 2773 MiB", "KV cache 448 for 1 × 4096 tokens", "needs 3328 MiB",
      "raise task.ollama.memory, or lower context_length or num_parallel"]),
    ("ollama-parallel-slots-overflow", "dev", setting("task.ollama.num_parallel", 4), "task.ollama.memory",
     ["= 4096", "KV cache 1792 for 4 × 4096 tokens", "needs 4940 MiB"]),
    ("unknown-model-without-kv-size", "dev", setting("task.ollama.model", "qwen3:4b"),
     "task.ollama.kv_cache_kib_per_token", ["'qwen3:4b' is not known", "2 × layers × KV heads × head size"]),
    ("min-above-max", "dev", setting("task.min_count", 3), "task.min_count",
     ["= 3", "min_count <= desired_count <= max_count"]),
    ("desired-outside-range", "dev", setting("task.desired_count", 5), "task.desired_count",
     ["= 5", "between task.min_count (1) and task.max_count (2)"]),
    ("max-zero", "dev", both(setting("task.max_count", 0), setting("task.min_count", 0),
                             setting("task.desired_count", 0)), "task.max_count", ["at least 1 task"]),
    ("negative-count", "dev", setting("task.min_count", -1), "task.min_count", ["= -1", "greater than or equal to 0"]),
    ("port-out-of-range", "dev", setting("task.litellm.port", 70000), "task.litellm.port", ["= 70000", "1 to 65535"]),
    ("ports-clash", "dev", setting("task.ollama.port", 4000), "task.ollama.port", ["= 4000", "another port"]),
    ("image-malformed", "dev", setting("task.litellm.image", "ghcr.io/berriai/litellm:v1 ; rm -rf /"),
     "task.litellm.image", ["not a well-formed image reference", "registry/repository:tag"]),
    ("image-latest-outside-dev", "staging", setting("task.litellm.image", f"{LITELLM_REPO}:latest"),
     "task.litellm.image", [":latest\"", "tier staging needs a pinned image", "@sha256:"]),
    ("image-untagged-outside-dev", "dev-ci", setting("task.ollama.image", "ollama/ollama"),
     "task.ollama.image", ['"ollama/ollama"', "tier ephemeral needs a pinned image"]),
    ("image-repository-not-allowed", "dev", setting("task.litellm.image", "docker.io/evil/litellm:v1"),
     "task.litellm.image", ["docker.io/evil/litellm is not allowed", "allowed_image_repositories"]),
    ("prod-deletion-protection-off", "prod", setting("database.deletion_protection", False),
     "database.deletion_protection", ["= false", "set database.deletion_protection = true"]),
    ("prod-single-az-database", "prod", setting("database.multi_az", False), "database.multi_az",
     ["= false", "set database.multi_az = true"]),
    ("prod-no-certificate", "prod", remove("ingress.certificate_arn"), "ingress.certificate_arn",
     ["(not set)", "HTTPS only", "ACM certificate ARN"]),
    ("prod-no-final-snapshot", "prod", setting("database.skip_final_snapshot", True),
     "database.skip_final_snapshot", ["set database.skip_final_snapshot = false"]),
    ("prod-spot", "prod", setting("task.capacity_provider", "FARGATE_SPOT"), "task.capacity_provider",
     ['"FARGATE_SPOT"', 'set task.capacity_provider = "FARGATE"']),
    ("prod-alb-unprotected", "prod", setting("ingress.deletion_protection", False), "ingress.deletion_protection",
     ["set ingress.deletion_protection = true"]),
    ("prod-no-waf", "prod", setting("ingress.waf", False), "ingress.waf", ["set ingress.waf = true"]),
    ("log-retention", "dev", setting("observability.log_retention_days", 10), "observability.log_retention_days",
     ["= 10", "1, 3, 5, 7, 14, 30"]),
    ("unknown-key-nested", "dev", setting("task.desird_count", 1), "task.desird_count",
     ["unknown key", "did you mean 'desired_count'?"]),
    ("unknown-key-top", "dev", setting("regoin", "eu-west-1"), "regoin", ["unknown key", "did you mean 'region'?"]),
    ("missing-key", "dev", remove("task.capacity_provider"), "task.capacity_provider",
     ["is required but missing", "FARGATE_SPOT is cheaper"]),
    ("wrong-type", "dev", setting("database.multi_az", "no"), "database.multi_az",
     ['"no"', "write true or false"]),
    ("enum", "dev", setting("network.nat_gateways", "two"), "network.nat_gateways", ['"two"', "'single' or 'per_az'"]),
    ("certificate-other-region", "staging",
     setting("ingress.certificate_arn",
             "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"),
     "ingress.certificate_arn", ["its own region", "eu-west-1"]),
    ("certificate-not-arn", "staging", setting("ingress.certificate_arn", "my-cert"), "ingress.certificate_arn",
     ['"my-cert"', "should match pattern"]),
    ("geo-block-without-waf", "dev", setting("ingress.geo_block", ["KP"]), "ingress.geo_block",
     ["set ingress.waf = true"]),
    ("storage-ceiling", "dev", setting("database.max_allocated_storage_gb", 10), "database.max_allocated_storage_gb",
     ["= 10", "at or above the initial size"]),
    ("idle-timeout", "dev", setting("ingress.idle_timeout_seconds", 60), "ingress.idle_timeout_seconds",
     ["= 60", "greater than or equal to 300"]),
    ("region", "dev", setting("region", "europe"), "region", ['"europe"', "eu-west-1"]),
    ("pull-cannot-fit-start-timeout", "dev", setting("task.ollama.model_size_mb", 4920), "task.ollama.model_size_mb",
     ["= 4920", "cold `pull`", "at most 120 s on Fargate (startTimeout)", 'model_delivery = "baked"']),
    ("baked-model-exceeds-task-storage", "prod", setting("task.ollama.model_size_mb", 200000),
     "task.ollama.model_size_mb", ["Fargate allows at most 200 GiB", "smaller model"]),
    ("request-timeout-over-idle-timeout", "dev", setting("litellm", {"request_timeout_seconds": 600}),
     "litellm.request_timeout_seconds", ["= 600", "idle timeout (300 s)", "raise ingress.idle_timeout_seconds"]),
    ("retries-over-idle-timeout", "dev", setting("litellm", {"request_timeout_seconds": 150, "num_retries": 2}),
     "litellm.request_timeout_seconds", ["= 150", "450 s (150 s × 3 attempts)", "lower it to 100",
                                         "lower num_retries"]),
    ("request-longer-than-any-drain", "dev", both(setting("ingress.idle_timeout_seconds", 4000),
                                                  setting("litellm", {"request_timeout_seconds": 2000})),
     "litellm.request_timeout_seconds", ["= 2000", "4000 s", "at most 3600 s", "lower it to 1800"]),
    ("unknown-pii-pattern", "dev", setting("litellm", {"guardrails": {"patterns": ["ssn"]}}),
     "litellm.guardrails.patterns[0]", ['"ssn"', "'us_ssn'"]),
    ("several-tasks-without-redis", "dev", remove("redis"), "task.max_count",
     ["= 2", "shared Redis", "a key limited to 100 requests/min gets 100 per task", "revoked", "add a [redis] table",
      "or set task.max_count = 1"]),
    ("managed-and-external-redis", "dev", setting("litellm", {"cache": {"host": "cache.internal"}}), "litellm.cache",
     ['"cache.internal"', "keep one of them"]),
    ("redis-version-of-other-engine", "dev", setting("redis.engine", "redis"), "redis.engine_version",
     ['"8.0"', "not a redis version", "['7.1']"]),
    ("redis-node-type", "dev", setting("redis.node_type", "t4g.micro"), "redis.node_type",
     ['"t4g.micro"', "should match pattern"]),
    ("prod-redis-without-replica", "prod", setting("redis.replicas", 0), "redis.replicas",
     ["= 0", "automatic failover", "set redis.replicas = 1"]),
    ("database-connections-exceeded", "dev", setting("task.max_count", 8), "task.max_count",
     ["= 8", "8 tasks × 1 workers × 10 connections", "= 80", "the 78 that db.t3.micro leaves LiteLLM",
      "112 max_connections less 30 % headroom", "lower task.max_count to 7", "larger database.instance_class"]),
    ("workers-exceed-connections", "staging", setting("task.litellm.workers", 4), "task.max_count",
     ["4 tasks × 4 workers × 10 connections", "= 160", "the 157 that db.t3.small leaves", "lower task.max_count to 3"]),
    ("database-class-unknown", "dev", setting("database.instance_class", "db.x2g.large"), "database.max_connections",
     ["db.x2g.large is not known", "set database.max_connections"]),
    ("admin-cidrs-too-many", "staging",
     setting("ingress.admin_cidrs", ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16"]),
     "ingress.admin_cidrs", ["at most 4 blocks", "one VPN range"]),
    ("admin-cidrs-everyone", "staging", setting("ingress.admin_cidrs", ["0.0.0.0/0"]), "ingress.admin_cidrs",
     ["restricts nothing"]),
    ("prod-admin-routes-open", "prod", remove("ingress.admin_cidrs"), "ingress.admin_cidrs",
     ["(not set)", "admin UI and key management", "or set litellm.admin_ui = false"]),
    ("certificate-and-domain", "staging",
     setting("ingress.certificate_arn",
             "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"),
     "ingress.certificate_arn", ["issue and validate a certificate", "not both"]),
    ("domain-name", "staging", setting("ingress.domain", {"name": "LLM_staging.example", "hosted_zone_id": "Z1"}),
     "ingress.domain.name", ['"LLM_staging.example"', "should match pattern"]),
    ("hosted-zone-id", "staging", setting("ingress.domain", {"name": "llm.example.com", "hosted_zone_id": "zone-1"}),
     "ingress.domain.hosted_zone_id", ['"zone-1"', "should match pattern"]),
    ("prod-neither-certificate-nor-domain", "prod", remove("ingress.certificate_arn"), "ingress.certificate_arn",
     ["or ingress.domain"]),
    # pydantic searches a pattern anywhere in the value: every pattern is anchored, or this passed.
    ("database-class-with-a-command-after-it", "dev", setting("database.instance_class", "db.t3.micro; rm -rf /"),
     "database.instance_class", ['"db.t3.micro; rm -rf /"', "should match pattern"]),
    ("model-id-inside-junk", "dev", setting("providers.openai.models", ["x gpt-4o-mini"]),
     "providers.openai.models[0]", ['"x gpt-4o-mini"']),
    # Entries that become resources, rule values or model names must differ.
    ("allowed-cidr-twice", "dev", setting("ingress.allowed_cidrs", ["203.0.113.0/24", "203.0.113.0/24"]),
     "ingress.allowed_cidrs", ["203.0.113.0/24 more than once", "list each entry once"]),
    ("model-twice", "dev", setting("providers.openai.models", ["gpt-4o-mini", "gpt-4o-mini"]),
     "providers.openai.models", ["gpt-4o-mini more than once"]),
    ("pii-pattern-twice", "dev", setting("litellm", {"guardrails": {"patterns": ["email", "email"]}}),
     "litellm.guardrails.patterns", ["email more than once"]),
    ("admin-cidr-twice", "prod", setting("ingress.admin_cidrs", ["198.51.100.0/24", "198.51.100.0/24"]),
     "ingress.admin_cidrs", ["198.51.100.0/24 more than once"]),
    ("second-local-model-does-not-fit", "dev",
     setting("task.ollama.additional_models", [{"name": "llama3.2:1b", "size_mb": 1321}]), "task.ollama.memory",
     ["llama3.2:3b + llama3.2:1b (all loaded at once) need about 4560 MiB", "runtime 800", "needs 5472 MiB"]),
    ("two-models-pull-too-long", "dev", both(
        setting("task.ollama.additional_models", [{"name": "llama3.2:1b", "size_mb": 1321}]),
        setting("task.ollama.memory", 5632), setting("task.memory", 9216)), "task.ollama.model_size_mb",
     ["these 2 models (3340 MB)", "at most 120 s on Fargate"]),
    ("same-local-model-twice", "dev",
     setting("task.ollama.additional_models", [{"name": "llama3.2:3b", "size_mb": 2019}]),
     "task.ollama.additional_models[0].name", ["is served already"]),
    ("second-local-model-kv-unknown", "dev",
     setting("task.ollama.additional_models", [{"name": "qwen3:0.6b", "size_mb": 523}]),
     "task.ollama.additional_models[0].kv_cache_kib_per_token", ["'qwen3:0.6b' is not known"]),
    ("no-model-at-all", "dev-ci", remove("task.ollama"), "task.ollama",
     ["(not set)", "would serve no model", "[task.ollama]", "[providers.*]"]),
    ("litellm-only-exceeds-task", "staging", both(remove("task.ollama"), setting("task.litellm.memory", 8192)),
     "task.litellm.memory", ["litellm (8192) = 8192 MiB exceed the task's 7168"]),
    ("prod-alarms-reach-nobody", "prod", remove("observability.alarm_email"), "observability.alarm_email",
     ["(not set)", "must reach someone"]),
    ("model-shut-down", "prod", setting("providers.openai.models", ["gpt-4o-mini", "gpt-4-turbo"]),
     "providers.openai.models[1]", ['"gpt-4-turbo"', "shut down by the provider on 2026-10-23",
                                    "developers.openai.com/api/docs/deprecations"]),
    # Compromised LiteLLM releases (docs/DESIGN.md, "LiteLLM releases"), whatever the tier and tag form.
    ("litellm-compromised-release", "dev", setting("task.litellm.image", "ghcr.io/berriai/litellm-non_root:v1.107.0"),
     "task.litellm.image", ['"ghcr.io/berriai/litellm-non_root:v1.107.0"', "LiteLLM 1.107.0", "must never run",
                            '"ghcr.io/berriai/litellm-non_root:v1.108.7"', "bump-image"]),
    ("litellm-compromised-release-candidate", "prod",
     setting("task.litellm.image", "ghcr.io/berriai/litellm-non_root:main-v1.107.0-rc.2"),
     "task.litellm.image", ["compromised release line of 2026-10-21"]),
    ("litellm-stolen-credentials-release", "staging",
     setting("task.litellm.image", "ghcr.io/berriai/litellm-non_root:1.82.8"),
     "task.litellm.image", ["LiteLLM 1.82.8 was published by attackers"]),
    ("anthropic-model-shut-down", "staging", setting("providers.anthropic.models", ["claude-3-5-sonnet-20241022"]),
     "providers.anthropic.models[0]", ["2025-10-28"]),
    # CloudFront in front (design 002): its own name, the web ACL at the edge, requests within its read timeout.
    ("cdn-without-a-name", "prod", setting("ingress.cdn", {}), "ingress.cdn",
     ["certificate the stack issues in us-east-1", "set ingress.domain"]),
    ("cdn-without-waf", "dev", both(CDN_NAME, setting("ingress.cdn", {}), setting("ingress.waf", False)),
     "ingress.waf", ["ingress.waf = false", "only the edge sees the callers' addresses", "set ingress.waf = true"]),
    ("request-longer-than-cdn-read-timeout", "staging", setting("ingress.cdn", {}), "litellm.request_timeout_seconds",
     ["= 120", "240 s for its first byte", "origin_read_timeout_seconds = 60", "lower it to 30",
      "up to 180 s once AWS has raised the account's quota"]),
    ("cdn-read-timeout-beyond-quota", "staging", setting("ingress.cdn", {"origin_read_timeout_seconds": 181}),
     "ingress.cdn.origin_read_timeout_seconds", ["= 181", "less than or equal to 180"]),
    ("cdn-price-class", "staging", setting("ingress.cdn", {"price_class": "PriceClass_300"}),
     "ingress.cdn.price_class", ['"PriceClass_300"', "PriceClass_100"]),
    # The database password's rotation: a schedule Secrets Manager accepts, always one in production.
    ("prod-password-rotation-off", "prod", setting("database.password_rotation_days", "off"),
     "database.password_rotation_days", ['= "off"', "rolls the service", "set database.password_rotation_days = 30",
                                         "(tier production)"]),
    ("password-rotation-beyond-secrets-manager", "dev", setting("database.password_rotation_days", 1001),
     "database.password_rotation_days", ["= 1001", "every 1 to 1000 days", 'or "off"']),
    ("password-rotation-zero", "staging", setting("database.password_rotation_days", 0),
     "database.password_rotation_days", ["= 0", "every 1 to 1000 days"]),
    ("password-rotation-quoted-number", "dev", setting("database.password_rotation_days", "30"),
     "database.password_rotation_days", ['= "30"', "without quotes"]),
    ("password-rotation-never", "dev", setting("database.password_rotation_days", "never"),
     "database.password_rotation_days", ['= "never"', 'neither a number of days nor "off"']),
    ("password-rotation-unset", "dev", remove("database.password_rotation_days"), "database.password_rotation_days",
     ["is required but missing", "Rotation of the RDS-managed master password"]),
]

GOOD_CASES = [
    ("subnet-at-vpc-edge", "dev", setting("network.database_subnets", ["10.0.100.0/24", "10.0.255.0/24"])),
    ("smallest-subnets", "dev", both(
        setting("network.vpc_cidr", "10.0.0.0/16"), setting("network.public_subnets", ["10.0.0.0/28", "10.0.0.16/28"]),
    )),
    ("three-zones", "prod", lambda document: None),
    ("fargate-boundary", "dev", both(setting("task.cpu", 4096), setting("task.memory", 30720))),
    ("ollama-shorter-context-fits-3072", "dev", both(setting("task.ollama.memory", 3072),
                                                     setting("task.ollama.context_length", 2048))),
    ("unknown-model-with-its-kv-size", "dev", both(setting("task.ollama.model", "qwen3:4b"),
                                                   setting("task.ollama.kv_cache_kib_per_token", 144))),
    ("containers-fill-task-exactly", "dev", lambda document: None),
    ("counts-equal", "dev", both(setting("task.min_count", 2), setting("task.desired_count", 2),
                                 setting("task.max_count", 2))),
    ("scale-to-zero-floor", "dev", both(setting("task.min_count", 0), setting("task.desired_count", 0))),
    ("latest-in-dev", "dev", setting("task.litellm.image", f"{LITELLM_REPO}:latest")),
    ("untagged-in-dev", "dev", setting("task.litellm.image", LITELLM_REPO)),
    ("digest-only-outside-dev", "staging", setting("task.litellm.image", f"{LITELLM_REPO}@{DIGEST}")),
    ("port-max", "dev", setting("task.ollama.port", 65535)),
    ("longest-retention", "dev", setting("observability.log_retention_days", 3653)),
    ("geo-block-with-waf", "staging", setting("ingress.geo_block", ["KP", "IR"])),
    ("idle-timeout-boundary", "dev", setting("ingress.idle_timeout_seconds", 300)),
    ("no-providers", "staging", remove("providers")),
    # A large model needs a container (and task) its weights and KV cache fit in.
    ("baked-large-model", "prod", both(setting("task.ollama.model_size_mb", 40000), setting("task.cpu", 8192),
                                       setting("task.memory", 53248), setting("task.ollama.memory", 47104))),
    ("pull-large-model-on-a-fast-link", "dev", both(setting("task.ollama.model_size_mb", 4920),
                                                    setting("task.ollama.pull_throughput_mb_per_s", 200),
                                                    setting("task.memory", 10240),
                                                    setting("task.ollama.memory", 7168))),
    ("request-timeout-with-longer-idle-timeout", "dev", both(setting("ingress.idle_timeout_seconds", 900),
                                                             setting("litellm", {"request_timeout_seconds": 900,
                                                                                 "num_retries": 0}))),
    ("retries-exactly-fit-the-idle-timeout", "dev", setting("litellm", {"request_timeout_seconds": 100,
                                                                        "num_retries": 2})),
    ("one-task-needs-no-redis", "dev", both(remove("redis"), setting("task.max_count", 1))),
    ("external-redis-instead", "dev", both(remove("redis"), setting("litellm", {"cache": {"host": "cache.internal"}}))),
    ("redis-oss", "dev", both(setting("redis.engine", "redis"), setting("redis.engine_version", "7.1"))),
    ("database-connections-fit", "dev", setting("task.max_count", 7)),
    ("database-class-unknown-with-its-limit", "dev", both(setting("database.instance_class", "db.x2g.large"),
                                                          setting("database.max_connections", 500))),
    ("prod-admin-ui-off", "prod", both(remove("ingress.admin_cidrs"), setting("litellm", {"admin_ui": False}))),
    ("prod-admin-routes-closed", "prod", setting("ingress.admin_cidrs", [])),
    ("prod-admin-ranges-as-many-as-fit-a-rule", "prod", setting("ingress.admin_cidrs", [
        "198.51.100.0/24", "203.0.113.0/24", "192.0.2.0/24", "10.20.0.0/16"])),
    ("storage-ceiling-equal-to-its-start", "dev", both(setting("database.allocated_storage_gb", 50),
                                                       setting("database.max_allocated_storage_gb", 50))),
    ("prod-redis-with-one-replica", "prod", setting("redis.replicas", 1)),
    ("request-budget-equal-to-the-deregistration-limit", "dev", both(
        setting("ingress.idle_timeout_seconds", 4000), setting("litellm", {"request_timeout_seconds": 1800,
                                                                          "num_retries": 1}))),
    # The image rule's compromised releases are LiteLLM's: an ollama tag of the same digits is no LiteLLM.
    ("ollama-tag-with-a-compromised-litellm-number", "dev", setting("task.ollama.image", "ollama/ollama:1.107.0")),
    # Design documents 001-003: a LiteLLM-only task in front of cloud providers.
    ("prod-with-an-issued-certificate", "prod", both(
        remove("ingress.certificate_arn"),
        setting("ingress.domain", {"name": "llm.example.com", "hosted_zone_id": "Z0123456789ABCDEFGHIJ"}))),
    ("staging-behind-cloudfront", "staging", both(
        setting("ingress.cdn", {"origin_read_timeout_seconds": 120}),
        setting("litellm", {"request_timeout_seconds": 60, "num_retries": 1}))),
    ("five-admin-blocks-fit-the-edge", "staging", both(
        setting("ingress.cdn", {}), setting("litellm", {"request_timeout_seconds": 30}),
        setting("ingress.admin_cidrs", ["10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16"]))),
    ("two-local-models-with-room-for-both", "dev", both(
        setting("task.ollama.additional_models", [{"name": "llama3.2:1b", "size_mb": 1321}]),
        setting("task.ollama.memory", 5632), setting("task.memory", 9216),
        setting("task.ollama.pull_throughput_mb_per_s", 100))),
    ("litellm-only-task", "staging", both(remove("task.ollama"), setting("task.cpu", 1024),
                                          setting("task.memory", 3072))),
    ("prod-password-rotation-daily", "prod", setting("database.password_rotation_days", 1)),
    ("prod-password-rotation-longest", "prod", setting("database.password_rotation_days", 1000)),
    ("staging-password-rotation-off", "staging", setting("database.password_rotation_days", "off")),
]


@pytest.mark.parametrize("case_id, base, edit, field, fragments", BAD_CASES, ids=[case[0] for case in BAD_CASES])
def test_rule_rejects(case_id, base, edit, field, fragments, tmp_path):
    problems = load_edited(tmp_path, base, edit)
    assert problems, f"{case_id}: the edited {base}.toml was accepted"
    about_field = [line for line in problems if line.startswith(f"{base}.toml: {field}") or
                   f"/{base}.toml: {field}" in line]
    assert about_field, f"no problem names {field}:\n" + "\n".join(problems)
    for fragment in fragments:
        assert any(fragment in line for line in about_field), f"{fragment!r} missing from:\n" + "\n".join(about_field)


@pytest.mark.parametrize("case_id, base, edit", GOOD_CASES, ids=[case[0] for case in GOOD_CASES])
def test_rule_accepts(case_id, base, edit, tmp_path):
    assert load_edited(tmp_path, base, edit) == []


def test_a_model_is_refused_on_the_day_it_shuts_down(tmp_path, monkeypatch):
    today = date.today()
    monkeypatch.setitem(retirements.SHUTDOWNS, ("openai", "gpt-6-luna"),
                        retirements.Shutdown(today, retirements.OPENAI, today))
    problems = load_edited(tmp_path, "dev", lambda document: None)
    assert any("providers.openai.models[0]" in line and f"shut down by the provider on {today.isoformat()}" in line
               for line in problems), problems


def test_the_longest_prefix_fits_the_target_group_name(tmp_path):
    """The project name and the workspace name make the prefix: at MAX_PREFIX_LENGTH it still fits."""
    name = "w" * (MAX_PREFIX_LENGTH - len(load_environments(["dev"]).project.name) - 1)
    (tmp_path / "project.toml").write_text((ENVIRONMENTS / "project.toml").read_text())
    (tmp_path / f"{name}.toml").write_text((ENVIRONMENTS / "dev.toml").read_text())
    (workspace,) = load_environments([name], directory=tmp_path).workspaces
    assert len(workspace.prefix) == MAX_PREFIX_LENGTH


@pytest.mark.parametrize("workspace", SHIPPED_WORKSPACES)
def test_shipped_environment_is_valid(workspace):
    environments = load_environments([workspace])
    assert environments.names() == [workspace]


def test_every_problem_is_reported_in_one_run(tmp_path):
    problems = load_edited(tmp_path, "prod", both(
        setting("database.multi_az", False), setting("database.deletion_protection", False),
        remove("ingress.certificate_arn"),
    ))
    fields = {line.split(": ")[1].split(" = ")[0] for line in problems}
    assert {"database.multi_az", "database.deletion_protection", "ingress.certificate_arn"} <= fields


@pytest.mark.parametrize("filename, fragment", [
    ("Dev_Test.toml", "must match [a-z][a-z0-9-]*"),
    ("shared.toml", "names a shared stack"),
    ("qa-secrets.toml", "taken by the stacks that write each workspace's secrets"),
    ("a-very-long-workspace-name.toml", "longer than 24 characters"),
])
def test_workspace_name_rules(filename, fragment, tmp_path):
    problems = load_edited(tmp_path, "dev", lambda document: None, filename=filename)
    assert any(line.startswith(f"{filename}: (file name)") and fragment in line for line in problems) or \
        any(f"/{filename}: (file name)" in line and fragment in line for line in problems), problems


def test_toml_syntax_error_names_file_and_line(tmp_path):
    shutil.copy(ENVIRONMENTS / "project.toml", tmp_path / "project.toml")
    broken = tmp_path / "dev.toml"
    broken.write_text((ENVIRONMENTS / "dev.toml").read_text().replace('tier = "development"', "tier = development"))
    with pytest.raises(InvalidEnvironment) as error:
        load_environments([str(broken)], directory=tmp_path)
    assert "dev.toml" in str(error.value) and "not valid TOML" in str(error.value) and "line" in str(error.value)


@pytest.mark.parametrize("original, replacement, fragment", [
    ('"ghcr.io/berriai/litellm-non_root",', '"ghcr.io/berriai/litellm-non_root:main-stable",',
     "names an image, not a repository; write ghcr.io/berriai/litellm-non_root"),
    ('"ghcr.io/berriai/litellm-non_root",', '"ghcr.io/Berri AI",', "allowed_image_repositories[0]"),
    ('Owner = "platform-team"', '"cost;center" = "platform-team"', "is not a usable tag key"),
    ('Owner = "platform-team"', 'Owner = "team <platform>"', "is not a usable tag value"),
])
def test_project_file_format_rules(original, replacement, fragment, tmp_path):
    """Values AWS or the image parser would reject later are refused in project.toml, naming the field."""
    text = (ENVIRONMENTS / "project.toml").read_text()
    assert original in text
    (tmp_path / "project.toml").write_text(text.replace(original, replacement, 1))
    shutil.copy(ENVIRONMENTS / "dev.toml", tmp_path / "dev.toml")
    with pytest.raises(InvalidEnvironment) as error:
        load_environments(directory=tmp_path)
    assert "project.toml" in str(error.value) and fragment in str(error.value), str(error.value)


def test_tags_of_any_script_are_accepted(tmp_path):
    text = (ENVIRONMENTS / "project.toml").read_text().replace(
        'Owner = "platform-team"', '"Kostenstelle" = "Plattform Ä-42 @München"', 1)
    (tmp_path / "project.toml").write_text(text)
    shutil.copy(ENVIRONMENTS / "dev.toml", tmp_path / "dev.toml")
    assert load_environments(directory=tmp_path).project.tags["Kostenstelle"] == "Plattform Ä-42 @München"


def test_project_file_is_validated(tmp_path):
    project = (ENVIRONMENTS / "project.toml").read_text().replace('"123456789012"', '"12345"', 1)
    (tmp_path / "project.toml").write_text(project)
    shutil.copy(ENVIRONMENTS / "dev.toml", tmp_path / "dev.toml")
    with pytest.raises(InvalidEnvironment) as error:
        load_environments(directory=tmp_path)
    assert 'project.toml: aws_account_id = "12345"' in str(error.value)


def test_unknown_workspace_lists_known_ones():
    with pytest.raises(InvalidEnvironment) as error:
        load_environments(["qa"])
    assert "no workspace named 'qa'" in str(error.value) and "dev, dev-ci, prod, staging" in str(error.value)


def test_every_pattern_in_the_model_is_anchored():
    """pydantic's `pattern` matches anywhere in the value (a search, not a full match): a pattern
    without ^...$ accepts any value that merely contains a valid one."""
    from environments.model import Project, WorkspaceSettings

    def patterns(schema) -> list[str]:
        if isinstance(schema, dict):
            found = [schema["pattern"]] if isinstance(schema.get("pattern"), str) else []
            return found + [p for value in schema.values() for p in patterns(value)]
        if isinstance(schema, list):
            return [p for value in schema for p in patterns(value)]
        return []

    found = patterns(WorkspaceSettings.model_json_schema()) + patterns(Project.model_json_schema())
    assert len(found) >= 15
    assert [p for p in found if not (p.startswith("^") and p.endswith("$"))] == []


@pytest.mark.parametrize("today, expected", [
    (date(2026, 10, 15), []),                          # 91 days ahead: no notice yet
    (date(2026, 10, 16), ["gpt-4o"]),                  # 90 days ahead
    (date(2027, 1, 13), ["gpt-4o"]),
    (date(2027, 1, 14), []),                           # shut down: the rule refuses it instead
])
def test_validate_gives_notice_of_a_shutdown_within_90_days(today, expected):
    providers = Providers(openai={"models": ["gpt-4o", "gpt-6-luna"]})
    assert [model for _, model, _, _ in retirements.upcoming(providers, today)] == expected
