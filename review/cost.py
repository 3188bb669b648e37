"""Monthly cost of a workspace, from its synthesized stacks and one dated price file per region
(review/prices/<region>.toml): the fixed part of the bill, what runs whether or not anyone calls
the proxy. Usage (NAT and ALB data, WAF requests, log ingestion, CloudFront, model tokens) is
named, not guessed.

    python main.py cost [WORKSPACE...]        table per workspace; --json for the data

Plain data: no cdktf import, no network.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from environments import marked_block
from environments.workspace import Workspace
from review.synthesized import resources

PRICES_DIR = Path(__file__).resolve().parent / "prices"
FARGATE_FREE_EPHEMERAL_GIB = 20
USAGE_NOT_COUNTED = ("NAT and ALB data processing", "WAF requests", "log ingestion and storage", "CloudFront",
                     "S3 requests", "model provider tokens")


class UnknownPrice(LookupError):
    """The price file of the region lacks a price the workspace needs; the message says which."""


@dataclass(frozen=True)
class Item:
    name: str
    monthly: float
    detail: str


def prices_for(region: str) -> dict:
    path = PRICES_DIR / f"{region}.toml"
    if not path.is_file():
        raise UnknownPrice(f"no price file for {region}: add review/prices/{region}.toml")
    return tomllib.loads(path.read_text())


def _price(table: dict, key: str, region: str) -> float:
    if key not in table:
        raise UnknownPrice(f"no price for {key} in {region}: add it to review/prices/{region}.toml")
    return table[key]


def workspace_items(stack: dict, secrets_stack: dict, *, region: str, model_cache_gb: float) -> list[Item]:
    prices = prices_for(region)
    hours = prices["hours_per_month"]
    items: list[Item] = []

    for service in resources(stack, "aws_ecs_service"):
        (definition,) = resources(stack, "aws_ecs_task_definition")
        vcpu, memory_gb = int(definition["cpu"]) / 1024, int(definition["memory"]) / 1024
        arm = (definition.get("runtime_platform") or {}).get("cpu_architecture") == "ARM64"
        fargate = prices["fargate"]
        family = "linux_arm" if arm else "linux_x86"
        per_hour = vcpu * fargate[f"{family}_vcpu_hour"] + memory_gb * fargate[f"{family}_gb_hour"]
        storage = (definition.get("ephemeral_storage") or {}).get("size_in_gib", FARGATE_FREE_EPHEMERAL_GIB)
        per_hour += max(0, storage - FARGATE_FREE_EPHEMERAL_GIB) * fargate["ephemeral_gb_hour"]
        strategy = service.get("capacity_provider_strategy", [])
        spot = any(entry["capacity_provider"] == "FARGATE_SPOT" for entry in strategy)
        factor = 1 - fargate["spot_discount"] if spot else 1
        tasks = service["desired_count"]
        items.append(Item("Fargate", tasks * per_hour * hours * factor,
                          f"{tasks} × {vcpu:g} vCPU / {memory_gb:g} GB {'ARM' if arm else 'x86'}"
                          f"{', Spot' if spot else ''}"))

    network = prices["network"]
    nat = len(resources(stack, "aws_nat_gateway"))
    if nat:
        items.append(Item("NAT gateways", nat * network["nat_gateway_hour"] * hours, f"{nat} × hourly"))
    albs = resources(stack, "aws_lb")
    public_subnets = [name for name in stack.get("resource", {}).get("aws_subnet", {}) if "public_subnet" in name]
    addresses = len(resources(stack, "aws_eip")) + sum(len(public_subnets) for alb in albs if not alb.get("internal"))
    if addresses:
        items.append(Item("Public IPv4", addresses * network["public_ipv4_hour"] * hours,
                          f"{addresses} addresses (NAT, ALB per zone)"))
    if albs:
        items.append(Item("Load balancer", len(albs) * network["alb_hour"] * hours, "hourly, LCUs extra"))
    interface = [endpoint for endpoint in resources(stack, "aws_vpc_endpoint")
                 if endpoint.get("vpc_endpoint_type") == "Interface"]
    if interface:
        zones = sum(len(endpoint.get("subnet_ids", [])) for endpoint in interface)
        items.append(Item("VPC endpoints", zones * network["interface_endpoint_hour"] * hours,
                          f"{len(interface)} interface endpoints × zones = {zones}"))

    rds = prices["rds"]
    for database in resources(stack, "aws_db_instance"):
        copies = 2 if database.get("multi_az") else 1
        hourly = _price(rds["instance_hour"], database["instance_class"], region)
        monthly = copies * (hourly * hours + database["allocated_storage"] * rds["gp3_gb_month"])
        if database.get("manage_master_user_password"):
            monthly += rds["secret_month"]
        standby = " Multi-AZ" if copies == 2 else ""
        items.append(Item("RDS PostgreSQL", monthly,
                          f"{database['instance_class']}{standby}, {database['allocated_storage']} GB gp3"))

    cache = prices["elasticache"]
    for group in resources(stack, "aws_elasticache_replication_group"):
        hourly = _price(cache["node_hour"], group["node_type"], region)
        if group.get("engine") == "redis":
            hourly *= cache["redis_premium"]
        nodes = group["num_cache_clusters"]
        items.append(Item("ElastiCache", nodes * hourly * hours, f"{nodes} × {group['node_type']} {group['engine']}"))

    if resources(stack, "aws_efs_file_system"):
        items.append(Item("EFS model cache", model_cache_gb * prices["efs"]["standard_gb_month"],
                          f"{model_cache_gb:.1f} GB"))

    acls = resources(stack, "aws_wafv2_web_acl")
    if acls:
        rules = sum(len(acl.get("rule", [])) for acl in acls)
        waf = prices["waf"]
        items.append(Item("WAF", len(acls) * waf["web_acl_month"] + rules * waf["rule_month"],
                          f"{len(acls)} web ACL, {rules} rules; requests extra"))

    keys = len(resources(stack, "aws_kms_key")) + len(resources(secrets_stack, "aws_kms_key"))
    if keys:
        items.append(Item("KMS keys", keys * prices["kms"]["key_month"], f"{keys} keys"))

    watch = prices["cloudwatch"]
    alarms = len(resources(stack, "aws_cloudwatch_metric_alarm"))
    dashboards = len(resources(stack, "aws_cloudwatch_dashboard"))
    if alarms or dashboards:
        items.append(Item("CloudWatch", alarms * watch["alarm_month"] + dashboards * watch["dashboard_month"],
                          f"{alarms} alarms, {dashboards} dashboard"))
    return items


def workspace_cost(workspace: Workspace, stacks: Mapping[str, dict]) -> list[Item]:
    """The workspace's items, from its stack and its secrets stack in `stacks` (by name); the model
    cache holds every model the task pulls."""
    task = workspace.settings.task
    cache_gb = task.ollama.total_size_mb / 1024 if task.pulls_model and task.ollama else 0.0
    return workspace_items(stacks[workspace.name], stacks[workspace.secrets_stack_id],
                           region=workspace.settings.region, model_cache_gb=cache_gb)


def total(items: list[Item]) -> float:
    return math.fsum(item.monthly for item in items)


def table(costs: dict[str, list[Item]], region_of: dict[str, str]) -> str:
    lines = ["| workspace | item | detail | USD / month |", "|---|---|---|---:|"]
    for workspace, items in costs.items():
        for item in items:
            lines.append(f"| {workspace} | {item.name} | {item.detail} | {item.monthly:.2f} |")
        lines.append(f"| **{workspace}** | **total** | {region_of[workspace]}, prices of "
                     f"{prices_for(region_of[workspace])['as_of']} | **{total(items):.2f}** |")
    lines += ["", f"Not included (usage): {', '.join(USAGE_NOT_COUNTED)}."]
    return "\n".join(lines) + "\n"


def as_json(costs: dict[str, list[Item]]) -> str:
    return json.dumps({workspace: {"total": round(total(items), 2),
                                   "items": {item.name: round(item.monthly, 2) for item in items}}
                       for workspace, items in costs.items()}, indent=2, sort_keys=True) + "\n"


README_BEGIN = "<!-- cost: generated by `python main.py cost --write` -->"
README_END = "<!-- /cost -->"


def embed(readme: Path, markdown: str) -> None:
    marked_block.rewrite(readme, f"{README_BEGIN}\n{markdown}{README_END}", README_BEGIN, README_END)
