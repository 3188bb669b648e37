"""The typed environment model: what a workspace file and the project file may say.

Pure pydantic, no cdktf: loading and validating an environment never imports the provider
bindings. Field descriptions are the reference documentation (README's table is generated
from them). Checks that involve one field live here as validators; checks that relate several
fields (CIDRs inside the VPC, counts in order, per-tier policy) live in `environments.rules`.
"""

from __future__ import annotations

import ipaddress
import re
import typing
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainValidator

from environments import limits
from environments.images import ImageReferenceError, parse_image

NAME_PATTERN = re.compile(r"[a-z][a-z0-9-]*")
REGION_PATTERN = re.compile(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]")


class Strict(BaseModel):
    """Unknown keys are errors, types are not coerced (TOML already has real types)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def nested_model(annotation: object) -> type[BaseModel] | None:
    """The model class a field holds (`Cache | None` -> Cache), or None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = nested_model(argument)
        if found is not None:
            return found
    return None


# --- single-value validators -------------------------------------------------------------

def _ipv4_cidr(text: str) -> str:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError("is not a CIDR block; write it like 10.0.0.0/16") from None
    if network.version != 4:
        raise ValueError("is an IPv6 block; this field takes IPv4 CIDR blocks such as 10.0.0.0/16")
    if str(network) != text:
        raise ValueError(f"has host bits set or is not canonical; did you mean {network}?")
    return text


def _image(text: str) -> str:
    try:
        parse_image(text)
    except ImageReferenceError as error:
        raise ValueError(str(error)) from None
    return text


def _region(text: str) -> str:
    if not REGION_PATTERN.fullmatch(text):
        raise ValueError("is not an AWS region name; write it like eu-west-1 or us-east-1")
    return text


def _log_retention(days: int) -> int:
    if days not in limits.LOG_RETENTION_DAYS:
        accepted = ", ".join(str(value) for value in limits.LOG_RETENTION_DAYS)
        raise ValueError(f"is not a retention CloudWatch Logs accepts; use one of {accepted}")
    return days


def _port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise ValueError("is not a TCP port; use 1 to 65535")
    return port


def _tag_characters(text: str) -> bool:
    """AWS's tag alphabet ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@] in the services' API models)."""
    return all(unicodedata.category(character)[0] in "LZN" or character in limits.TAG_PUNCTUATION
               for character in text)


def _tag_key(key: str) -> str:
    low, high = limits.TAG_KEY_LENGTH
    if not low <= len(key) <= high or key.lower().startswith("aws:") or not _tag_characters(key):
        raise ValueError(f"is not a usable tag key; use {low}-{high} letters, digits, spaces or "
                         f"{' '.join(limits.TAG_PUNCTUATION)}, not starting with 'aws:'")
    return key


def _tag_value(value: str) -> str:
    if len(value) > limits.TAG_VALUE_MAX_LENGTH or not _tag_characters(value):
        raise ValueError(f"is not a usable tag value; use at most {limits.TAG_VALUE_MAX_LENGTH} letters, digits, "
                         f"spaces or {' '.join(limits.TAG_PUNCTUATION)}")
    return value


def _image_repository(text: str) -> str:
    try:
        reference = parse_image(text)
    except ImageReferenceError as error:
        raise ValueError(str(error)) from None
    if reference.tag or reference.digest:
        raise ValueError(f"names an image, not a repository; write {reference.repository}")
    return text


def _distinct(values: list) -> list:
    repeated = sorted({str(value) for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"lists {', '.join(repeated)} more than once; list each entry once")
    return values


def _rotation_days(value: object) -> int | str:
    """A whole number of days Secrets Manager accepts, or "off" (checked here as one value, so a wrong
    one gets one message rather than one per member of the union)."""
    low, high = limits.SECRET_ROTATION_DAYS
    if value == "off":
        return "off"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f'is neither a number of days nor "off"; write a whole number from {low} to {high}, '
                         'without quotes, or "off"')
    if not low <= value <= high:
        raise ValueError(f'Secrets Manager rotates a secret every {low} to {high} days; write a number in that '
                         'range, or "off"')
    return value


def _name(text: str) -> str:
    if not NAME_PATTERN.fullmatch(text):
        raise ValueError("must match [a-z][a-z0-9-]* (lower case letter, then letters, digits, '-')")
    return text


Cidr = Annotated[str, AfterValidator(_ipv4_cidr)]
Image = Annotated[str, AfterValidator(_image)]
Region = Annotated[str, AfterValidator(_region)]
Port = Annotated[int, AfterValidator(_port)]
LogRetention = Annotated[int, AfterValidator(_log_retention)]
TagKey = Annotated[str, AfterValidator(_tag_key)]
TagValue = Annotated[str, AfterValidator(_tag_value)]
Name = Annotated[str, AfterValidator(_name)]
NonNegative = Annotated[int, Field(ge=0)]
RotationDays = Annotated[int | Literal["off"], PlainValidator(_rotation_days)]
# A list whose entries must differ (each becomes a resource, a rule value or a model name).
Distinct = AfterValidator(_distinct)


# --- the project file (environments/project.toml) ----------------------------------------

class StateSettings(Strict):
    bucket: str = Field(
        description="S3 bucket that holds every workspace's Terraform state (created by the "
        "bootstrap stack; globally unique, 3-63 lower-case characters).",
        pattern=r"^(?:[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$",
    )
    lock_table: str = Field(
        description="DynamoDB table for Terraform state locks (created by the bootstrap stack).",
        pattern=r"^(?:[A-Za-z0-9_.-]{3,255})$",
    )


class RegistrySettings(Strict):
    repositories: Annotated[list[Name], Distinct] = Field(
        default=["litellm", "ollama"],
        description="ECR repositories of the shared stack, created as <project>/<name>.",
    )
    keep_tagged_images: int = Field(
        default=30, ge=1, le=1000,
        description="Lifecycle policy: how many tagged images each repository keeps.",
    )
    untagged_image_days: int = Field(
        default=7, ge=1, le=365,
        description="Lifecycle policy: untagged images expire after this many days.",
    )


class GitHubSettings(Strict):
    repository: str = Field(
        description="owner/name of this repository; the deploy roles trust only its OIDC tokens.",
        pattern=r"^(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)$",
    )
    app_repository: str = Field(
        description="owner/name of the application repository that sends image bumps.",
        pattern=r"^(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)$",
    )


class Project(Strict):
    """Settings shared by every workspace."""

    name: Name = Field(
        description="Prefix of every resource name, SSM path and state key. Short: names such "
        "as the ALB's are limited to 32 characters.",
        max_length=12,
    )
    aws_account_id: str = Field(
        description="The AWS account every stack deploys to; the provider refuses any other "
        "account (allowed_account_ids), and ECR image URLs are built from it.",
        pattern=r"^(?:[0-9]{12})$",
    )
    region: Region = Field(
        description="Region of the shared resources: state bucket, lock table, ECR repositories."
    )
    allowed_image_repositories: Annotated[list[Annotated[str, AfterValidator(_image_repository)]], Distinct] = Field(
        min_length=1,
        description="Image repositories (registry included) that task images may come from. "
        "`bump-image` and the workspace files accept images from these repositories only.",
    )
    tags: dict[TagKey, TagValue] = Field(
        default={}, description="Tags on every resource of every stack (provider default_tags)."
    )
    state: StateSettings = Field(description="Terraform state backend (bootstrap stack).")
    registry: RegistrySettings = Field(
        default=RegistrySettings(), description="Container registry (shared stack)."
    )
    github: GitHubSettings = Field(description="GitHub repositories for OIDC and image bumps.")

    def ecr_repository_url(self, repository: str) -> str:
        return f"{self.aws_account_id}.dkr.ecr.{self.region}.amazonaws.com/{self.name}/{repository}"


# --- a workspace file (environments/<workspace>.toml) -----------------------------------

class Network(Strict):
    vpc_cidr: Cidr = Field(description="IPv4 CIDR of the VPC, /16 to /28.")
    availability_zones: list[str] = Field(
        description="Availability zones, in the workspace's region; at least 2 (an ALB needs two). "
        "Every subnet list has one entry per zone, in this order."
    )
    public_subnets: list[Cidr] = Field(description="Public subnets (ALB, NAT gateways), one per zone.")
    private_subnets: list[Cidr] = Field(description="Private subnets (ECS tasks, EFS), one per zone.")
    database_subnets: list[Cidr] = Field(
        description="Database subnets (RDS), one per zone; their route table has no internet route."
    )
    nat_gateways: Literal["single", "per_az"] = Field(
        description="`single`: one NAT gateway for the VPC (cheap, one zone's failure cuts egress); "
        "`per_az`: one per zone (production)."
    )
    vpc_endpoints: bool = Field(
        default=False,
        description="Create the S3 gateway endpoint and interface endpoints for ecr.api, ecr.dkr, "
        "logs, secretsmanager and ssm, so image pulls, logs and secret reads stay off the NAT gateway.",
    )
    flow_logs: bool = Field(
        default=True, description="Send VPC flow logs (all traffic) to a KMS-encrypted log group."
    )


class Domain(Strict):
    """A DNS name the workspace stack serves: certificate issued and validated, alias record created."""

    name: str = Field(
        description="DNS name clients use, e.g. llm.example.com. The stack requests an ACM certificate for it, "
        "validates it with a record in the hosted zone, and points the name at the load balancer.",
        pattern=r"^(?:([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})$", max_length=253,
    )
    hosted_zone_id: str = Field(
        description="Route 53 public hosted zone (in this account) that holds the name, e.g. Z0123456789ABCDEFGHIJ.",
        pattern=r"^(?:Z[A-Z0-9]{1,31})$",
    )


class Cdn(Strict):
    """CloudFront in front of the load balancer, which then has no public address at all."""

    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        default="PriceClass_100",
        description="Edge locations served from: PriceClass_100 (North America, Europe), _200 (and most of Asia, "
        "Middle East, Africa) or _All.",
    )
    origin_read_timeout_seconds: int = Field(
        default=limits.CLOUDFRONT_READ_TIMEOUT_DEFAULT_MAX, ge=limits.CLOUDFRONT_READ_TIMEOUT[0],
        le=limits.CLOUDFRONT_READ_TIMEOUT[1],
        description="How long CloudFront waits for the first byte of a response, and then between chunks of a "
        "stream. A request, retries included (litellm.request_timeout_seconds × (num_retries + 1)), must fit. "
        "Above 60 s only after AWS raised the account's 'response timeout per origin' quota.",
    )


class Ingress(Strict):
    @property
    def https(self) -> bool:
        """Whether the load balancer serves HTTPS: a certificate given or issued."""
        return self.certificate_arn is not None or self.domain is not None

    allowed_cidrs: Annotated[list[Cidr], Distinct] = Field(
        description="IPv4 blocks allowed to reach the ALB on 80/443. The only 0.0.0.0/0 ingress "
        "in the design is here, and only when written here."
    )
    certificate_arn: str | None = Field(
        default=None,
        description="ACM certificate ARN in the workspace's region. When set: HTTPS listener with "
        "ELBSecurityPolicy-TLS13-1-2-2021-06 and HTTP 301 redirect. Required in production.",
        pattern=r"^(?:arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36})$",
    )
    domain: Domain | None = Field(
        default=None,
        description="Serve a DNS name with a certificate the stack issues (instead of certificate_arn): HTTPS "
        "listener and HTTP redirect as with certificate_arn.",
    )
    waf: bool = Field(
        description="Associate a WAFv2 web ACL (AWS managed IP reputation, anonymous IP, common and "
        "known-bad-inputs rules, a per-IP rate limit) with the ALB, with logging."
    )
    waf_rate_limit: int = Field(
        default=2000, ge=limits.WAF_RATE_LIMIT[0], le=limits.WAF_RATE_LIMIT[1],
        description="Requests per client IP per 5 minutes before the WAF blocks it.",
    )
    geo_block: Annotated[list[Annotated[str, Field(pattern=r"^(?:[A-Z]{2})$")]], Distinct] = Field(
        default=[], description="ISO 3166 alpha-2 country codes the WAF blocks (needs waf = true)."
    )
    idle_timeout_seconds: int = Field(
        default=300, ge=300, le=limits.ALB_IDLE_TIMEOUT[1],
        description="ALB idle timeout. At least 300: LLM responses are slow, and the 60 s default "
        "cuts long completions with 504s.",
    )
    deletion_protection: bool = Field(description="ALB deletion protection.")
    access_logs: bool = Field(
        default=False,
        description="Write ALB access logs to an S3 bucket of the workspace (SSE-S3: the ALB log "
        "delivery does not support KMS keys).",
    )
    cdn: Cdn | None = Field(
        default=None,
        description="Serve through CloudFront: needs ingress.domain and ingress.waf. The load balancer becomes "
        "internal (a CloudFront VPC origin reaches it, nothing else can), and the web ACL moves to the edge, "
        "where it sees the callers' addresses: allowed_cidrs, admin_cidrs and geo_block are enforced there.",
    )
    admin_cidrs: Annotated[list[Cidr], Distinct] | None = Field(
        default=None,
        description="IPv4 blocks allowed to reach LiteLLM's admin routes (/ui, /key/*, /user/*, /team/*, "
        "/model/*, /docs): listener rules answer 403 to anyone else. Absent: no restriction (not in "
        "production). Empty: admin routes are closed at the load balancer. At most 4 blocks (an ALB rule "
        "holds 5 condition values, one of them a path); behind a CDN the edge web ACL checks them, any number.",
    )


class LiteLLMContainer(Strict):
    image: Image = Field(
        description="LiteLLM image, `repository:tag` or `repository@sha256:...` from an allowed "
        "repository. `latest` or no tag only in development. Rewritten by `bump-image`."
    )
    cpu: int = Field(ge=128, description="CPU units reserved for the litellm container.")
    memory: int = Field(ge=256, description="Memory (MiB) hard limit of the litellm container.")
    port: Port = Field(default=4000, description="Port LiteLLM listens on; the ALB targets it.")
    workers: int = Field(
        default=1, ge=1, le=16,
        description="uvicorn worker processes (--num_workers). Each opens up to 10 database connections "
        "(LiteLLM's pool): task.max_count × workers × 10 must fit the database's max_connections.",
    )


OLLAMA_MODEL_PATTERN = r"^(?:[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?)$"


class LocalModel(Strict):
    """A further model the ollama sidecar serves beside its main one."""

    name: str = Field(description="Ollama model, e.g. llama3.2:1b; served as ollama_chat/<name>.",
                      pattern=OLLAMA_MODEL_PATTERN, max_length=128)
    size_mb: int = Field(ge=1, le=200_000, description="Size of the model on disk (MB).")
    kv_cache_kib_per_token: int | None = Field(
        default=None, ge=1, le=4096,
        description="KV cache per token of context (KiB); known models need none (environments/limits.py).",
    )


class OllamaContainer(Strict):
    image: Image = Field(
        description="Ollama image. In `baked` delivery it must already contain the model."
    )
    cpu: int = Field(ge=128, description="CPU units reserved for the ollama container.")
    memory: int = Field(ge=256, description="Memory (MiB) hard limit of the ollama container.")
    port: Port = Field(default=11434, description="Port Ollama listens on (task-local only).")
    model: str = Field(
        description="Ollama model served locally, e.g. llama3.2:3b. Exposed through LiteLLM as "
        "ollama_chat/<model>.",
        pattern=OLLAMA_MODEL_PATTERN,
        max_length=128,
    )
    model_size_mb: int = Field(
        ge=1, le=200_000, description="Size of the model on disk (MB); drives start-up timing."
    )
    model_delivery: Literal["baked", "pull"] = Field(
        description="`baked`: the image already holds the model. `pull`: the container pulls it at "
        "start into an EFS access point, so later tasks start warm."
    )
    pull_throughput_mb_per_s: int = Field(
        default=40, ge=1, le=2000,
        description="Assumed download speed (MB/s) of a cold model pull through the NAT; used to "
        "prove that a pull finishes inside ECS start limits.",
    )
    context_length: int = Field(
        default=4096, ge=512, le=131_072,
        description="Context window Ollama allocates per request slot (OLLAMA_CONTEXT_LENGTH); its KV cache "
        "counts against the container's memory.",
    )
    num_parallel: int = Field(
        default=1, ge=1, le=16,
        description="Requests Ollama serves at once (OLLAMA_NUM_PARALLEL); each slot has its own KV cache.",
    )
    kv_cache_kib_per_token: int | None = Field(
        default=None, ge=1, le=4096,
        description="KV cache per token of context (KiB): 2 × layers × KV heads × head size × 2 bytes. Known "
        "for the models in environments/limits.py (OLLAMA_KV_CACHE_KIB_PER_TOKEN); required for any other.",
    )
    additional_models: list[LocalModel] = Field(
        default=[],
        description="More models served beside `model`, all loaded at once (OLLAMA_MAX_LOADED_MODELS): the "
        "memory rule counts every one, and in `pull` mode each is pulled at start.",
    )

    def served(self) -> list[LocalModel]:
        """Every model the sidecar serves, the main one first."""
        main = LocalModel(name=self.model, size_mb=self.model_size_mb,
                          kv_cache_kib_per_token=self.kv_cache_kib_per_token)
        return [main, *self.additional_models]

    @property
    def total_size_mb(self) -> int:
        return sum(model.size_mb for model in self.served())


class Task(Strict):
    cpu: int = Field(description="Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).")
    memory: int = Field(description="Fargate task memory (MiB); must be valid for the CPU size.")
    cpu_architecture: Literal["X86_64", "ARM64"] = Field(
        default="X86_64", description="Fargate CPU architecture; both images must support it."
    )
    capacity_provider: Literal["FARGATE", "FARGATE_SPOT"] = Field(
        description="FARGATE_SPOT is cheaper and may be interrupted; not for production."
    )
    desired_count: NonNegative = Field(description="Tasks running after a deploy.")
    min_count: NonNegative = Field(description="Autoscaling floor.")
    max_count: NonNegative = Field(description="Autoscaling ceiling.")
    litellm: LiteLLMContainer = Field(description="The LiteLLM proxy container.")
    ollama: OllamaContainer | None = Field(
        default=None,
        description="The Ollama sidecar serving a local model. Absent: a LiteLLM-only task (one container, no "
        "model cache), serving the cloud providers' models.",
    )

    @property
    def pulls_model(self) -> bool:
        """Whether the sidecar pulls its models at start into the shared EFS cache."""
        return self.ollama is not None and self.ollama.model_delivery == "pull"

    def containers(self) -> dict[str, LiteLLMContainer | OllamaContainer]:
        """The task's containers by name, litellm first."""
        return {"litellm": self.litellm, **({"ollama": self.ollama} if self.ollama else {})}


class Database(Strict):
    instance_class: str = Field(
        description="RDS instance class, e.g. db.t3.micro.", pattern=r"^(?:db\.[a-z0-9]+\.[a-z0-9]+)$"
    )
    engine_version: Literal["15", "16", "17"] = Field(
        default="16",
        description="PostgreSQL major version; minor versions upgrade automatically.",
    )
    allocated_storage_gb: int = Field(
        default=20, ge=limits.RDS_GP3_STORAGE_GIB[0], le=limits.RDS_GP3_STORAGE_GIB[1],
        description="Initial gp3 storage (GiB).",
    )
    max_allocated_storage_gb: int = Field(
        default=100, le=limits.RDS_GP3_STORAGE_GIB[1],
        description="Storage autoscaling ceiling (GiB); at least allocated_storage_gb.",
    )
    multi_az: bool = Field(description="Standby in a second zone. Required in production.")
    deletion_protection: bool = Field(description="RDS deletion protection. Required in production.")
    backup_retention_days: int = Field(
        default=7, ge=limits.RDS_BACKUP_RETENTION_DAYS[0], le=limits.RDS_BACKUP_RETENTION_DAYS[1],
        description="Automated backup retention (days), taken 03:00-03:59 UTC.",
    )
    skip_final_snapshot: bool = Field(
        description="Skip the final snapshot when the database is destroyed. Not in production."
    )
    performance_insights: bool = Field(
        description="Performance Insights (7 days, KMS-encrypted)."
    )
    port: Port = Field(default=5432, description="PostgreSQL port.")
    password_rotation_days: RotationDays = Field(
        description="Rotation of the RDS-managed master password: every N days (1-1000), each successful "
        "rotation rolling the service so new tasks read the new password; or \"off\": no schedule is "
        "managed (RDS's own default, every 7 days, stays on a new database; a schedule switched off is "
        "cancelled), and a rotation still rolls the service. Production needs a schedule.",
    )
    max_connections: int | None = Field(
        default=None, ge=10, le=limits.RDS_MAX_CONNECTIONS_CAP,
        description="The instance's max_connections. Derived from the class's memory as RDS does for the "
        "classes in environments/limits.py (RDS_INSTANCE_MEMORY_GIB); required for any other class.",
    )


class ManagedRedis(Strict):
    """An ElastiCache replication group the workspace stack creates for LiteLLM's shared state."""

    engine: Literal["valkey", "redis"] = Field(
        default="valkey", description="`valkey` (cheaper, the AWS default) or `redis` (Redis OSS)."
    )
    engine_version: Literal["7.2", "8.0", "7.1"] = Field(
        default="8.0", description="Major.minor engine version: valkey 7.2 or 8.0; redis 7.1.",
    )
    node_type: str = Field(
        default="cache.t4g.small", pattern=r"^(?:cache\.[a-z0-9]+\.[a-z0-9]+)$",
        description="ElastiCache node type, e.g. cache.t4g.small.",
    )
    replicas: int = Field(
        default=1, ge=0, le=5,
        description="Read replicas beside the primary. With 1 or more: Multi-AZ with automatic failover "
        "(required in production).",
    )
    snapshot_retention_days: int = Field(
        default=7, ge=0, le=35, description="Daily snapshots kept (0: none). Taken 02:00-03:00 UTC."
    )
    port: Port = Field(default=6379, description="Redis port; only the LiteLLM tasks may reach it.")


class Observability(Strict):
    log_retention_days: LogRetention = Field(
        description="Retention of every log group of the workspace (a value CloudWatch accepts)."
    )
    container_insights: bool = Field(description="ECS Container Insights on the cluster.")
    alarm_email: str | None = Field(
        default=None,
        description="Address subscribed to the alarm topic (the subscription must be confirmed). Required "
        "in production: an alarm nobody receives is not an alarm.",
        pattern=r"^(?:[^@\s]+@[^@\s]+\.[^@\s]+)$",
    )


class ModelList(Strict):
    models: Annotated[list[Annotated[str, Field(pattern=r"^(?:[A-Za-z0-9][A-Za-z0-9._:/-]*)$")]], Distinct] = Field(
        min_length=1, description="Provider model ids, each exposed under the same name."
    )


class AzureProvider(Strict):
    api_base: str = Field(
        description="Azure OpenAI endpoint, https://<resource>.openai.azure.com.",
        pattern=r"^(?:https://[a-z0-9-]+\.openai\.azure\.com/?)$",
    )
    api_version: str = Field(description="Azure OpenAI API version, e.g. 2024-10-21.",
                             pattern=r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?)$")
    deployments: Annotated[list[Annotated[str, Field(pattern=r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*)$")]], Distinct] = Field(
        min_length=1, description="Azure deployment names, each exposed as azure/<deployment>."
    )


class Providers(Strict):
    """Cloud model providers. A provider's table declares its API key: the SSM parameter and the
    models exist only when the table does. Bedrock needs no key."""

    openai: ModelList | None = Field(
        default=None, description="OpenAI (key: `main.py set-secret --workspace W openai_api_key`)."
    )
    anthropic: ModelList | None = Field(
        default=None, description="Anthropic (key: `main.py set-secret --workspace W anthropic_api_key`)."
    )
    azure: AzureProvider | None = Field(
        default=None, description="Azure OpenAI (key: `main.py set-secret --workspace W azure_api_key`)."
    )
    bedrock: ModelList | None = Field(
        default=None,
        description="Amazon Bedrock model ids; the task role may invoke exactly these, no key.",
    )

    def with_api_keys(self) -> list[str]:
        """Providers whose API key is a secret the workspace must supply, in a stable order."""
        return [name for name in ("openai", "anthropic", "azure") if getattr(self, name) is not None]


# LiteLLM content-filter patterns for personal data and credentials (names of LiteLLM's prebuilt
# patterns; a test checks each exists in the pinned LiteLLM release).
PiiPattern = Literal[
    "us_ssn", "us_ssn_no_dash", "email", "us_phone", "credit_card", "visa", "mastercard", "amex", "discover",
    "aws_access_key", "aws_secret_key", "github_token", "slack_token", "generic_api_key", "passport_us",
    "passport_uk", "passport_germany", "passport_france", "passport_netherlands", "passport_canada",
    "passport_india", "passport_australia", "ipv4", "ipv6",
]
DEFAULT_PII_PATTERNS: list[str] = [
    "us_ssn", "email", "us_phone", "credit_card", "aws_access_key", "aws_secret_key", "github_token",
    "slack_token", "generic_api_key",
]


class Guardrails(Strict):
    pii_pre_call: bool = Field(
        default=True, description="Scan prompts for personal data and credentials before any model sees them."
    )
    pii_post_call: bool = Field(
        default=True, description="Scan model responses for personal data and credentials before the client does."
    )
    action: Literal["MASK", "BLOCK"] = Field(
        default="MASK", description="`MASK` replaces what matched; `BLOCK` refuses the request or response."
    )
    patterns: Annotated[list[PiiPattern], Distinct] = Field(
        default=DEFAULT_PII_PATTERNS, min_length=1,
        description="LiteLLM prebuilt patterns the guardrails look for.",
    )


class Cache(Strict):
    """A Redis the workspace does not create (use `[redis]` for a managed one)."""

    host: str = Field(
        description="Host of an existing Redis in the VPC, shared by all tasks for rate limits and caching. "
        "Its password is set with `main.py set-secret --workspace W redis_password`.",
        pattern=r"^(?:[A-Za-z0-9.-]+)$",
    )
    port: Port = Field(default=6379, description="Redis port; tasks may reach it inside the VPC only.")
    tls: bool = Field(default=True, description="Connect with TLS (ElastiCache in-transit encryption).")


class LiteLLMSettings(Strict):
    request_timeout_seconds: int = Field(
        default=120, ge=1, le=limits.ALB_IDLE_TIMEOUT[1],
        description="Upper bound of one model call (for a stream: of the wait for its next chunk). With its "
        "retries a request may last request_timeout_seconds × (num_retries + 1): that must fit "
        "ingress.idle_timeout_seconds, or the load balancer cuts the connection first. The target group "
        "drains a stopping task for that long.",
    )
    num_retries: int = Field(default=1, ge=0, le=10, description="Retries of a failed model call.")
    guardrails: Guardrails = Field(default=Guardrails(), description="PII guardrails (LiteLLM content filter).")
    cache: Cache | None = Field(
        default=None, description="An external Redis for router state (instead of a managed `[redis]`)."
    )
    response_cache: bool = Field(
        default=False,
        description="Also cache model responses in Redis. Off by default: the cache key is the request, not "
        "the caller, so one caller can receive another's cached answer.",
    )
    key_cache_seconds: int = Field(
        default=60, ge=1, le=3600,
        description="How long each task trusts a virtual key it has looked up (user_api_key_cache_ttl). Keys live "
        "in the database and each task caches them in its own memory, so a key revoked through one task is "
        "refused by the others within this many seconds; lower means more database reads.",
    )
    admin_ui: bool = Field(
        default=True,
        description="Serve the admin UI and the API docs (/ui, /docs). In production: false, or "
        "ingress.admin_cidrs set.",
    )

    @property
    def request_budget_seconds(self) -> int:
        """The longest a request may take inside the proxy: every attempt timing out."""
        return self.request_timeout_seconds * (self.num_retries + 1)


class WorkspaceSettings(Strict):
    """The content of one workspace file."""

    tier: Literal["development", "ephemeral", "staging", "production"] = Field(
        description="Policy tier. `production` must keep deletion protection, a multi-AZ database "
        "and HTTPS; outside `development`, images must be pinned (no `latest`)."
    )
    region: Region = Field(description="AWS region of the workspace.")
    tags: dict[TagKey, TagValue] = Field(
        default={}, description="Extra tags on every resource of the workspace."
    )
    network: Network = Field(description="VPC layout.")
    ingress: Ingress = Field(description="Load balancer and WAF.")
    task: Task = Field(description="The Fargate task: LiteLLM, and Ollama when a local model is wanted.")
    database: Database = Field(description="RDS PostgreSQL.")
    redis: ManagedRedis | None = Field(
        default=None,
        description="Managed Redis (ElastiCache) for LiteLLM's shared state: rate limits, key revocation, "
        "budgets. Needed when task.max_count > 1 (or an external litellm.cache).",
    )
    observability: Observability = Field(description="Logs, Container Insights and alarms.")
    providers: Providers = Field(default=Providers(), description="Cloud model providers.")
    litellm: LiteLLMSettings = Field(
        default=LiteLLMSettings(), description="LiteLLM proxy behaviour: timeouts, retries, guardrails, cache."
    )

