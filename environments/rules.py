"""Rules that relate several fields of a workspace, or a workspace to the project.

Each rule yields (field, value, message) triples; the message says what is wrong and what to
write instead. The loader turns them into Problems that name the file.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from datetime import date
from itertools import combinations

from environments import limits, retirements, startup
from environments.images import LITELLM_IMAGE, compromised_litellm, litellm_release, parse_image
from environments.model import NAME_PATTERN
from environments.model import Database as DatabaseSettings
from environments.problems import toml_value
from environments.workspace import MAX_PREFIX_LENGTH, RESERVED_NAMES, SECRETS_STACK_SUFFIX, Workspace

Violation = tuple[str, object, str]
Rule = Callable[[Workspace], Iterator[Violation]]

SUBNET_TIERS = ("public_subnets", "private_subnets", "database_subnets")
MAX_SUBNET_PREFIX = 28  # AWS: the smallest subnet is a /28

# Settings a production-tier workspace must have: (field path, required value, why).
PRODUCTION_REQUIREMENTS: tuple[tuple[str, object, str], ...] = (
    ("database.deletion_protection", True, "a production database must not be deletable by one apply"),
    ("database.multi_az", True, "a production database needs a standby in a second zone"),
    ("database.skip_final_snapshot", False, "destroying a production database must leave a snapshot"),
    ("ingress.deletion_protection", True, "the production load balancer must not be deletable by one apply"),
    ("ingress.waf", True, "production traffic goes through the WAF"),
    ("task.capacity_provider", "FARGATE", "Spot capacity can be reclaimed at any time"),
    ("network.nat_gateways", "per_az", "with a single NAT gateway, one zone's outage cuts all egress"),
)


def _setting(workspace: Workspace, path: str) -> object:
    value: object = workspace.settings
    for part in path.split("."):
        value = getattr(value, part)
    return value


def workspace_name(workspace: Workspace) -> Iterator[Violation]:
    name = workspace.name
    if not NAME_PATTERN.fullmatch(name):
        yield ("(file name)", name,
               "a workspace name must match [a-z][a-z0-9-]*; rename the file, e.g. to my-env.toml")
    elif name in RESERVED_NAMES:
        yield ("(file name)", name,
               f"'{name}' names a shared stack; choose another name than {sorted(RESERVED_NAMES)}")
    elif name.endswith(SECRETS_STACK_SUFFIX):
        yield ("(file name)", name,
               f"names ending in '{SECRETS_STACK_SUFFIX}' are taken by the stacks that write each workspace's "
               "secrets; rename the file")
    elif len(workspace.prefix) > MAX_PREFIX_LENGTH:
        yield ("(file name)", name,
               f"'{workspace.prefix}' is longer than {MAX_PREFIX_LENGTH} characters and derived AWS "
               "names (target group: 32 at most) would not fit; use a shorter workspace name")


def availability_zones(workspace: Workspace) -> Iterator[Violation]:
    network = workspace.settings.network
    zones = network.availability_zones
    region = workspace.settings.region
    if len(zones) < 2:
        yield ("network.availability_zones", zones,
               f"an Application Load Balancer needs subnets in at least 2 zones; list two or more, "
               f"e.g. [\"{region}a\", \"{region}b\"]")
    if len(set(zones)) != len(zones):
        yield ("network.availability_zones", zones, "lists a zone twice; list each zone once")
    for zone in zones:
        if not (zone.startswith(region) and len(zone) == len(region) + 1 and zone[-1].isalpha()):
            yield ("network.availability_zones", zone,
                   f"is not a zone of region {region}; zones look like {region}a")
    for tier in SUBNET_TIERS:
        subnets = getattr(network, tier)
        if len(subnets) != len(zones):
            yield (f"network.{tier}", subnets,
                   f"has {len(subnets)} entries but there are {len(zones)} zones; give one subnet per zone")


def cidr_layout(workspace: Workspace) -> Iterator[Violation]:
    network = workspace.settings.network
    vpc = ipaddress.ip_network(network.vpc_cidr)
    low, high = limits.VPC_PREFIX_LENGTH
    if not low <= vpc.prefixlen <= high:
        yield ("network.vpc_cidr", network.vpc_cidr,
               f"AWS accepts VPC blocks from /{low} to /{high}; e.g. 10.0.0.0/16")
    placed: list[tuple[str, ipaddress.IPv4Network]] = []
    for tier in SUBNET_TIERS:
        for index, text in enumerate(getattr(network, tier)):
            field = f"network.{tier}[{index}]"
            subnet = ipaddress.ip_network(text)
            if subnet.prefixlen > MAX_SUBNET_PREFIX:
                yield (field, text, f"AWS subnets are /{MAX_SUBNET_PREFIX} or larger; use a shorter prefix")
            if not subnet.subnet_of(vpc):
                yield (field, text,
                       f"lies outside the VPC {vpc} (which spans {vpc[0]} - {vpc[-1]}); "
                       f"choose a block inside it or widen network.vpc_cidr")
            placed.append((field, subnet))
    for (field_a, a), (field_b, b) in combinations(placed, 2):
        if a.overlaps(b):
            yield (field_b, str(b), f"overlaps {field_a} ({a}); subnets must not share addresses")


def ingress(workspace: Workspace) -> Iterator[Violation]:
    settings = workspace.settings
    arn = settings.ingress.certificate_arn
    if arn is not None and arn.split(":")[3] != settings.region:
        yield ("ingress.certificate_arn", arn,
               f"an ALB uses certificates from its own region; request or import one in {settings.region}")
    if arn is not None and settings.ingress.domain is not None:
        yield ("ingress.certificate_arn", arn,
               "ingress.domain makes the stack issue and validate a certificate for its name; keep certificate_arn "
               "(bring your own) or domain, not both")
    if settings.ingress.geo_block and not settings.ingress.waf:
        yield ("ingress.geo_block", settings.ingress.geo_block,
               "geo blocking is a WAF rule; set ingress.waf = true or remove geo_block")


def timeouts(workspace: Workspace) -> Iterator[Violation]:
    settings = workspace.settings
    idle = settings.ingress.idle_timeout_seconds
    litellm = settings.litellm
    attempts = litellm.num_retries + 1
    budget = litellm.request_budget_seconds
    if budget > idle:
        yield ("litellm.request_timeout_seconds", litellm.request_timeout_seconds,
               f"with num_retries = {litellm.num_retries} a request may take {budget} s "
               f"({litellm.request_timeout_seconds} s × {attempts} attempts), longer than the load balancer's idle "
               f"timeout ({idle} s), which would cut the connection first with a 504; lower it to "
               f"{idle // attempts}, lower num_retries, or raise ingress.idle_timeout_seconds")
    elif budget > limits.ALB_DEREGISTRATION_DELAY[1]:
        yield ("litellm.request_timeout_seconds", litellm.request_timeout_seconds,
               f"a request may take {budget} s, but a target group drains a stopping task for at most "
               f"{limits.ALB_DEREGISTRATION_DELAY[1]} s, so deploys would cut it; lower it to "
               f"{limits.ALB_DEREGISTRATION_DELAY[1] // attempts} or lower num_retries")


def cdn(workspace: Workspace) -> Iterator[Violation]:
    settings = workspace.settings
    edge = settings.ingress.cdn
    if edge is None:
        return
    if settings.ingress.domain is None:
        yield ("ingress.cdn", edge.model_dump(),
               "CloudFront serves the workspace's own name with a certificate the stack issues in us-east-1, and "
               "reaches the load balancer by that name over HTTPS; set ingress.domain (name and hosted zone)")
    if not settings.ingress.waf:
        yield ("ingress.waf", False,
               "behind CloudFront only the edge sees the callers' addresses, so allowed_cidrs, admin_cidrs and the "
               "rate limit are rules of a web ACL at the edge; set ingress.waf = true")
    litellm = settings.litellm
    budget = litellm.request_budget_seconds
    if budget > edge.origin_read_timeout_seconds:
        attempts = litellm.num_retries + 1
        yield ("litellm.request_timeout_seconds", litellm.request_timeout_seconds,
               f"a request may wait {budget} s for its first byte ({litellm.request_timeout_seconds} s × {attempts} "
               f"attempts), but CloudFront answers 504 after ingress.cdn.origin_read_timeout_seconds = "
               f"{edge.origin_read_timeout_seconds} s without one; lower it to "
               f"{edge.origin_read_timeout_seconds // attempts}, lower num_retries, or raise the read timeout (up to "
               f"{limits.CLOUDFRONT_READ_TIMEOUT[1]} s once AWS has raised the account's quota)")


def ollama_memory(workspace: Workspace) -> Iterator[Violation]:
    ollama = workspace.settings.task.ollama
    if ollama is None:
        return
    served = ollama.served()
    names = [model.name for model in served]
    for index, model in enumerate(served[1:]):
        if names.count(model.name) > 1:
            yield (f"task.ollama.additional_models[{index}].name", model.name,
                   "is served already; list each model once")
    kv_per_token = [model.kv_cache_kib_per_token or limits.OLLAMA_KV_CACHE_KIB_PER_TOKEN.get(model.name)
                    for model in served]
    unknown = False
    for index, (model, kv) in enumerate(zip(served, kv_per_token, strict=True)):
        if kv is None:
            unknown = True
            field = ("task.ollama.kv_cache_kib_per_token" if index == 0
                     else f"task.ollama.additional_models[{index - 1}].kv_cache_kib_per_token")
            yield (field, None,
                   f"the KV cache size of {model.name!r} is not known; set it (2 × layers × KV heads × head size "
                   "× 2 bytes per token, in KiB) so the memory the model needs can be checked")
    if unknown:
        return
    weights = sum(model.size_mb * 1_000_000 // 2**20 for model in served)
    cache = sum(kv * ollama.context_length * ollama.num_parallel // 1024 for kv in kv_per_token)
    runtime = limits.OLLAMA_RUNTIME_MIB * len(served)
    needed = weights + cache + runtime
    limit = round(needed * (1 + limits.OLLAMA_MEMORY_HEADROOM))
    if limit > ollama.memory:
        subject = f"{names[0]} needs" if len(names) == 1 else f"{' + '.join(names)} (all loaded at once) need"
        yield ("task.ollama.memory", ollama.memory,
               f"{subject} about {needed} MiB (weights {weights} + KV cache {cache} for "
               f"{ollama.num_parallel} × {ollama.context_length} tokens each + runtime {runtime}); "
               f"with {round(limits.OLLAMA_MEMORY_HEADROOM * 100)} % headroom the container needs {limit} MiB, "
               "and reaching the limit kills the whole task; raise task.ollama.memory, or lower "
               "context_length or num_parallel")


def task_size(workspace: Workspace) -> Iterator[Violation]:
    task = workspace.settings.task
    allowed_memory = limits.FARGATE_TASK_MEMORY.get(task.cpu)
    if allowed_memory is None:
        yield ("task.cpu", task.cpu,
               f"is not a Fargate task size; use one of {sorted(limits.FARGATE_TASK_MEMORY)}")
    elif task.memory not in allowed_memory:
        yield ("task.memory", task.memory,
               f"is not valid with task.cpu = {task.cpu} on Fargate; use {_ranges(allowed_memory)}")
    containers = task.containers()
    for resource, unit in (("cpu", "CPU units"), ("memory", "MiB")):
        reserved = sum(getattr(container, resource) for container in containers.values())
        if reserved > getattr(task, resource):
            parts = " + ".join(f"{name} ({getattr(container, resource)})" for name, container in containers.items())
            yield (f"task.litellm.{resource}", getattr(task.litellm, resource),
                   f"{parts} = {reserved} {unit} exceed the task's {getattr(task, resource)}; lower the "
                   f"containers' {resource} or raise task.{resource}")
    if task.ollama is not None and task.litellm.port == task.ollama.port:
        yield ("task.ollama.port", task.ollama.port,
               "both containers share the task's network namespace; give ollama another port than litellm")


def task_counts(workspace: Workspace) -> Iterator[Violation]:
    task = workspace.settings.task
    if task.max_count < 1:
        yield ("task.max_count", task.max_count, "the service needs room for at least 1 task; use 1 or more")
    if task.min_count > task.max_count:
        yield ("task.min_count", task.min_count,
               f"is above task.max_count ({task.max_count}); need min_count <= desired_count <= max_count")
    if not task.min_count <= task.desired_count <= task.max_count:
        yield ("task.desired_count", task.desired_count,
               f"must lie between task.min_count ({task.min_count}) and task.max_count ({task.max_count})")


def images(workspace: Workspace) -> Iterator[Violation]:
    allowed = workspace.project.allowed_image_repositories
    for container, settings in workspace.settings.task.containers().items():
        field = f"task.{container}.image"
        text = settings.image
        reference = parse_image(text)
        if reference.repository not in allowed:
            yield (field, text,
                   f"repository {reference.repository} is not allowed; use one of {allowed} "
                   "(environments/project.toml: allowed_image_repositories)")
        if not reference.pinned and workspace.settings.tier != "development":
            yield (field, text,
                   f"tier {workspace.settings.tier} needs a pinned image: a tag other than 'latest' "
                   "or an @sha256: digest")
        compromised = compromised_litellm(reference) if container == "litellm" else None
        if compromised is not None:
            yield (field, text,
                   f"LiteLLM {litellm_release(reference)} {compromised} and must never run; use a clean release, "
                   f"e.g. \"{LITELLM_IMAGE}\" (the release this repository tests), with bump-image")


def database(workspace: Workspace) -> Iterator[Violation]:
    db = workspace.settings.database
    if db.max_allocated_storage_gb < db.allocated_storage_gb:
        yield ("database.max_allocated_storage_gb", db.max_allocated_storage_gb,
               f"is below database.allocated_storage_gb ({db.allocated_storage_gb}); "
               "storage autoscaling needs a ceiling at or above the initial size")


# Engine -> the versions ElastiCache offers for it (the model's Literal lists their union).
REDIS_ENGINE_VERSIONS = {"valkey": ("7.2", "8.0"), "redis": ("7.1",)}
# An ALB rule holds 5 condition values; one of them is a path of the admin routes.
MAX_ADMIN_CIDRS = 4


def shared_state(workspace: Workspace) -> Iterator[Violation]:
    settings = workspace.settings
    managed, external = settings.redis, settings.litellm.cache
    if managed is not None and external is not None:
        yield ("litellm.cache", external.host,
               "the workspace creates a Redis ([redis]) and names an external one (litellm.cache); keep one of them")
    if managed is None and external is None and settings.task.max_count > 1:
        yield ("task.max_count", settings.task.max_count,
               "more than one LiteLLM task needs a shared Redis: without it each task keeps its own rate-limit "
               "counters (a key limited to 100 requests/min gets 100 per task), a key revoked on one task stays "
               "valid on the others and budgets drift; add a [redis] table (managed) or litellm.cache (external), "
               "or set task.max_count = 1")
    if managed is not None:
        if managed.engine_version not in REDIS_ENGINE_VERSIONS[managed.engine]:
            yield ("redis.engine_version", managed.engine_version,
                   f"is not a {managed.engine} version ElastiCache offers; use one of "
                   f"{list(REDIS_ENGINE_VERSIONS[managed.engine])}")
        if workspace.is_production and managed.replicas < 1:
            yield ("redis.replicas", managed.replicas,
                   "production needs a replica in another zone for automatic failover; set redis.replicas = 1 "
                   "or more (tier production)")


def max_database_connections(db: DatabaseSettings) -> int | None:
    """The instance's max_connections: as written, or as RDS derives it from the class's memory."""
    if db.max_connections is not None:
        return db.max_connections
    memory_gib = limits.RDS_INSTANCE_MEMORY_GIB.get(db.instance_class)
    if memory_gib is None:
        return None
    return min(int(memory_gib * 2**30) // limits.RDS_MAX_CONNECTIONS_DIVISOR, limits.RDS_MAX_CONNECTIONS_CAP)


def usable_database_connections(db: DatabaseSettings) -> int | None:
    """The connections LiteLLM may plan for: max_connections less the headroom."""
    max_connections = max_database_connections(db)
    return None if max_connections is None else int(max_connections * (1 - limits.RDS_CONNECTION_HEADROOM))


def database_connections(workspace: Workspace) -> Iterator[Violation]:
    settings = workspace.settings
    db, task = settings.database, settings.task
    max_connections = max_database_connections(db)
    usable = usable_database_connections(db)
    if max_connections is None or usable is None:
        yield ("database.max_connections", None,
               f"the max_connections of {db.instance_class} is not known; set database.max_connections "
               "(RDS: DBInstanceClassMemory / 9531392) so the connections LiteLLM opens can be checked")
        return
    pool = limits.LITELLM_DATABASE_POOL_PER_WORKER
    per_task = task.litellm.workers * pool
    needed = task.max_count * per_task
    if needed > usable:
        yield ("task.max_count", task.max_count,
               f"{task.max_count} tasks × {task.litellm.workers} workers × {pool} connections (LiteLLM's pool per "
               f"worker) = {needed}, more than the {usable} that {db.instance_class} leaves LiteLLM "
               f"({max_connections} max_connections less {round(limits.RDS_CONNECTION_HEADROOM * 100)} % headroom); "
               f"the last tasks to scale out would fail to connect; lower task.max_count to "
               f"{max(usable // per_task, 1)}, lower task.litellm.workers, or choose a larger database.instance_class")


def opens_to_everyone(cidrs: list[str]) -> bool:
    """Whether the blocks include 0.0.0.0/0 (or any /0)."""
    return any(ipaddress.ip_network(cidr).prefixlen == 0 for cidr in cidrs)


def admin_access(workspace: Workspace) -> Iterator[Violation]:
    settings = workspace.settings
    cidrs = settings.ingress.admin_cidrs
    # Behind a CDN the edge web ACL holds them in an IP set: no rule-size limit.
    if cidrs is not None and len(cidrs) > MAX_ADMIN_CIDRS and settings.ingress.cdn is None:
        yield ("ingress.admin_cidrs", cidrs,
               f"at most {MAX_ADMIN_CIDRS} blocks fit one load balancer rule beside a path; "
               "merge them into wider blocks or reach the admin routes through one VPN range")
    if cidrs is not None and opens_to_everyone(cidrs):
        yield ("ingress.admin_cidrs", cidrs,
               "0.0.0.0/0 restricts nothing; list the office or VPN ranges allowed to administer LiteLLM")
    if workspace.is_production and settings.litellm.admin_ui and cidrs is None:
        yield ("ingress.admin_cidrs", None,
               "production must not expose the admin UI and key management to the internet; set "
               "ingress.admin_cidrs to the ranges allowed to administer it (or [] to close them), or set "
               "litellm.admin_ui = false (tier production)")


def startup_timing(workspace: Workspace) -> Iterator[Violation]:
    if workspace.settings.task.ollama is not None:
        yield from startup.violations(workspace.settings.task.ollama)


def serves_a_model(workspace: Workspace) -> Iterator[Violation]:
    settings = workspace.settings
    if settings.task.ollama is None and not any(
            getattr(settings.providers, name) is not None for name in type(settings.providers).model_fields):
        yield ("task.ollama", None,
               "without a local model and without a cloud provider the proxy would serve no model; add a "
               "[task.ollama] table or a [providers.*] table")


def models_in_service(workspace: Workspace) -> Iterator[Violation]:
    today = date.today()
    for provider, index, model in retirements.listed_models(workspace.settings.providers):
        shutdown = retirements.shutdown_of(provider, model)
        if shutdown is not None and shutdown[0] <= today:
            yield (f"providers.{provider}.models[{index}]", model,
                   f"was shut down by the provider on {shutdown[0].isoformat()} ({shutdown[1]}); every request "
                   "to it would fail: choose a model the page lists as a replacement")


def production(workspace: Workspace) -> Iterator[Violation]:
    if not workspace.is_production:
        return
    for path, required, reason in PRODUCTION_REQUIREMENTS:
        value = _setting(workspace, path)
        if value != required:
            yield (path, value, f"{reason}; set {path} = {toml_value(required)} (tier production)")
    if not workspace.settings.ingress.https:
        yield ("ingress.certificate_arn", None,
               "production serves HTTPS only; set an ACM certificate ARN from the workspace's region, or "
               "ingress.domain for a certificate the stack issues")
    if workspace.settings.database.password_rotation_days == "off":
        yield ("database.password_rotation_days", "off",
               "production rotates its database master password on a schedule the stack manages (each rotation "
               "rolls the service); set database.password_rotation_days = 30, or another number of days from "
               f"{limits.SECRET_ROTATION_DAYS[0]} to {limits.SECRET_ROTATION_DAYS[1]} (tier production)")
    if workspace.settings.observability.alarm_email is None:
        yield ("observability.alarm_email", None,
               "production alarms must reach someone; set an address (or a list's) and confirm the "
               "subscription AWS sends it (tier production)")


def _ranges(values: frozenset[int]) -> str:
    ordered = sorted(values)
    if len(ordered) > 3:
        step = ordered[1] - ordered[0]
        return f"{ordered[0]} to {ordered[-1]} in steps of {step}"
    return ", ".join(str(value) for value in ordered)


RULES: tuple[Rule, ...] = (
    workspace_name, availability_zones, cidr_layout, ingress, cdn, timeouts, ollama_memory, task_size, task_counts,
    images, startup_timing, serves_a_model, database, shared_state, database_connections, admin_access,
    models_in_service, production,
)


def check(workspace: Workspace) -> Iterator[Violation]:
    for rule in RULES:
        yield from rule(workspace)
