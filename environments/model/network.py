"""A workspace's network and ingress: VPC layout, load balancer, DNS name, CloudFront, WAF."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from environments import limits
from environments.model.base import Cidr, Distinct, Strict


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
