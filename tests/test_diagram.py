"""Architecture diagrams drawn from the synthesized stacks (review/diagram.py): committed copies are
current, Mermaid's own parser accepts them, and they show what the stacks create."""

from __future__ import annotations

import re

import pytest

from review import diagram
from tests import mermaid
from tests.conftest import ROOT, SHIPPED_WORKSPACES

DIAGRAMS = ROOT / "docs" / "diagrams"


@pytest.mark.parametrize("workspace", SHIPPED_WORKSPACES)
def test_committed_diagram_is_current(workspace, stacks):
    committed = (DIAGRAMS / f"{workspace}.md").read_text()
    assert committed == diagram.document(workspace, stacks[workspace]), \
        f"docs/diagrams/{workspace}.md is stale: run python main.py diagram"


def test_readme_embeds_the_current_prod_diagram(stacks):
    block = diagram.readme_block(diagram.document("prod", stacks["prod"]))
    assert block in (ROOT / "README.md").read_text(), "README's diagram is stale: run python main.py diagram"


@pytest.mark.tools
def test_mermaid_parses_every_diagram(stacks):
    results = mermaid.parse([diagram.mermaid(stacks[workspace]) for workspace in SHIPPED_WORKSPACES])
    assert all(result["ok"] and result["type"] == "flowchart-v2" for result in results), results


@pytest.mark.tools
def test_the_parser_catches_a_broken_diagram(stacks):
    broken = diagram.mermaid(stacks["prod"]).replace("  end\n", "", 1)  # a subgraph left open
    (result,) = mermaid.parse([broken])
    assert not result["ok"] and "Parse error" in result["error"]


def nodes(text: str) -> set[str]:
    return set(re.findall(r"^\s+(\w+)[\[(]", text, re.M))


def test_prod_shows_its_stateful_tiers_and_the_waf_in_front(stacks):
    text = diagram.mermaid(stacks["prod"])
    assert {"waf", "alb", "tasks", "rds", "redis", "nat", "endpoints", "ssm"} <= nodes(text)
    assert "waf --> alb --> tasks" in text and "multi-AZ" in text and "× 3" in text
    assert "eu-west-1c 10.30.30.0/24" in text  # subnets and zones come from the stack


def test_dev_ci_has_no_waf_and_a_model_cache(stacks):
    text = diagram.mermaid(stacks["dev-ci"])
    assert "waf" not in nodes(text) and "internet --> alb --> tasks" in text
    assert "efs" in nodes(text) and "tasks --> efs" in text  # pull mode: the model cache
    assert "single-AZ" in text


@pytest.mark.tools
def test_prods_diagram_is_a_flowchart_to_mermaid_with_its_parts_labelled(stacks):
    """Mermaid's own parser (the one GitHub renders with) reads prod's diagram as a flowchart; its labels
    name what the stack holds. (The SVG render needed a browser, which the README's two commands do not
    install: the parser is the check.)"""
    text = diagram.mermaid(stacks["prod"])
    (result,) = mermaid.parse([text])
    assert result == {"ok": True, "type": "flowchart-v2"}, result
    for label in ("RDS postgres 16", "ElastiCache valkey 8.0", "WAF web ACL", "NAT gateway × 3"):
        assert label in text, label
