"""Monthly cost (review/cost.py): one workspace against a figure computed by hand, the rules each
line follows, and the committed copies (docs/cost.json, README) kept current."""

from __future__ import annotations

import copy

import pytest

from environments.loader import load_environments
from review import cost
from tests.conftest import ROOT, SHIPPED_WORKSPACES

HOURS = 730
ENVIRONMENTS = {workspace.name: workspace for workspace in load_environments().workspaces}


def workspace_cost(stacks: dict, name: str, stack: dict | None = None) -> list[cost.Item]:
    return cost.workspace_cost(ENVIRONMENTS[name], {**stacks, **({name: stack} if stack else {})})


def items_of(stacks: dict, name: str, stack: dict | None = None) -> dict[str, float]:
    return {item.name: item.monthly for item in workspace_cost(stacks, name, stack)}


def test_dev_matches_a_figure_computed_by_hand(stacks):
    """dev.toml and review/prices/eu-west-1.toml, worked out on paper (730 hours a month)."""
    by_hand = {
        "Fargate": 1 * HOURS * (2 * 0.04048 + 7 * 0.004445) * (1 - 0.70),  # 2048 CPU units / 7168 MiB on Spot
        "NAT gateways": 1 * HOURS * 0.048,                                   # nat_gateways = "single"
        "Public IPv4": (1 + 2) * HOURS * 0.005,                              # the NAT's EIP, the ALB in 2 zones
        "Load balancer": HOURS * 0.0252,
        "RDS PostgreSQL": HOURS * 0.018 + 20 * 0.127 + 0.40,                 # db.t3.micro single-AZ, 20 GB, secret
        "ElastiCache": 1 * HOURS * 0.0128,                                   # one cache.t4g.micro (replicas = 0)
        "EFS model cache": 2019 / 1024 * 0.33,                               # llama3.2:3b, pull mode
        "KMS keys": 2 * 1.00,                                                # workspace key, secrets key
        "CloudWatch": 14 * 0.10 + 3.00,                                      # alarms, the dashboard
    }
    computed = items_of(stacks, "dev")
    assert computed == pytest.approx(by_hand, abs=0.005)
    assert round(sum(by_hand.values()), 2) == 121.41


def test_multi_az_doubles_the_database_and_spot_is_priced_off(stacks):
    prod = items_of(stacks, "prod")
    assert prod["RDS PostgreSQL"] == pytest.approx(2 * (HOURS * 0.072 + 20 * 0.127) + 0.40)
    on_demand = copy.deepcopy(stacks["dev"])
    (service,) = on_demand["resource"]["aws_ecs_service"].values()
    service["capacity_provider_strategy"] = [{"capacity_provider": "FARGATE", "weight": 1, "base": 0}]
    assert items_of(stacks, "dev", on_demand)["Fargate"] == pytest.approx(items_of(stacks, "dev")["Fargate"] / 0.30)


def test_arm_tasks_use_the_arm_prices(stacks):
    arm = copy.deepcopy(stacks["staging"])
    (definition,) = arm["resource"]["aws_ecs_task_definition"].values()
    definition["runtime_platform"]["cpu_architecture"] = "ARM64"
    assert items_of(stacks, "staging", arm)["Fargate"] == pytest.approx(HOURS * (2 * 0.03238 + 7 * 0.00356))


def test_an_unpriced_instance_class_names_the_file_to_extend(stacks):
    unknown = copy.deepcopy(stacks["dev"])
    (database,) = unknown["resource"]["aws_db_instance"].values()
    database["instance_class"] = "db.r7g.large"
    with pytest.raises(cost.UnknownPrice, match="no price for db.r7g.large in eu-west-1: add it to "
                                                "review/prices/eu-west-1.toml"):
        items_of(stacks, "dev", unknown)


def test_every_price_file_is_dated_and_names_its_region():
    for path in sorted(cost.PRICES_DIR.glob("*.toml")):
        prices = cost.prices_for(path.stem)
        assert prices["region"] == path.stem and prices["as_of"] and prices["hours_per_month"] == HOURS


def test_committed_costs_are_current(stacks):
    costs = {name: workspace_cost(stacks, name) for name in SHIPPED_WORKSPACES}
    assert (ROOT / "docs" / "cost.json").read_text() == cost.as_json(costs), \
        "docs/cost.json is stale: run python main.py cost --write"
    regions = {name: ENVIRONMENTS[name].settings.region for name in SHIPPED_WORKSPACES}
    assert cost.table(costs, regions) in (ROOT / "README.md").read_text(), \
        "README's cost table is stale: run python main.py cost --write"
