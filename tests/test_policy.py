"""checkov on every synthesized stack through the CI gate, and the gate's own behaviour."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

import pytest

from tests import tools
from tests.conftest import ROOT

GATE = ROOT / ".ci" / "checkov_gate.py"
ALLOWLIST = ROOT / ".ci" / "policy-allowlist.toml"


def gate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GATE), *args], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def checkov_run(synth_dir, tmp_path_factory) -> dict:
    saved = tmp_path_factory.mktemp("checkov") / "report.json"
    result = gate("--checkov", str(tools.tool_executable("checkov")), "--save-report", str(saved), str(synth_dir))
    return {"result": result, "report": json.loads(saved.read_text()) if saved.exists() else []}


@pytest.mark.tools
def test_checkov_finds_nothing_unexplained(checkov_run):
    result = checkov_run["result"]
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 new, 0 stale" in result.stdout


@pytest.mark.tools
def test_security_document_cites_checks_that_ran(checkov_run):
    """Every checkov id docs/SECURITY.md relies on ran, and passed or is an allowlisted failure."""
    ran = {check["check_id"] for report in checkov_run["report"]
           for outcome in ("passed_checks", "failed_checks") for check in report["results"].get(outcome, [])}
    passed = {check["check_id"] for report in checkov_run["report"] for check in report["results"]["passed_checks"]}
    document = (ROOT / "docs" / "SECURITY.md").read_text()
    cited = set(re.findall(r"CKV2?_AWS_\d+", document))
    for low, high in re.findall(r"CKV_AWS_(\d+)-(\d+)", document):
        cited |= {f"CKV_AWS_{number}" for number in range(int(low), int(high) + 1)}
    assert cited, "no checkov id found in docs/SECURITY.md"
    assert cited <= ran, f"cited but never run: {sorted(cited - ran)}"
    allowlisted = {entry["check"] for entry in tomllib.loads(ALLOWLIST.read_text())["checkov"]}
    unexplained = cited - passed - allowlisted
    assert not unexplained, f"cited checks that fail without an allowlist entry: {unexplained}"


def report(*failures: tuple[str, str, str]) -> list[dict]:
    return [{"check_type": "terraform_json", "summary": {"passed": 1},
             "results": {"failed_checks": [
                 {"check_id": check, "resource": resource, "file_path": f"/{stack}/cdk.tf.json"}
                 for check, resource, stack in failures
             ]}}]


def allowlisted() -> list[tuple[str, str, str]]:
    """Every (check, resource, stack) the allowlist accepts in the shipped stacks (EXAMPLE/<stack>
    entries belong to an example's run: tests/test_examples.py)."""
    entries = tomllib.loads(ALLOWLIST.read_text())["checkov"]
    return [(entry["check"], f"resource.{entry['resource'].split('.')[-1]}", stack)
            for entry in entries for stack in entry["stacks"] if "/" not in stack]


def test_gate_passes_a_report_matching_the_allowlist(synth_dir, tmp_path):
    (tmp_path / "report.json").write_text(json.dumps(report(*allowlisted())))
    result = gate("--report", str(tmp_path / "report.json"), str(synth_dir))
    assert result.returncode == 0, result.stderr


def test_gate_fails_on_a_new_finding(synth_dir, tmp_path):
    extra = ("CKV_AWS_23", "resource.network_vpc", "prod")
    (tmp_path / "report.json").write_text(json.dumps(report(*allowlisted(), extra)))
    result = gate("--report", str(tmp_path / "report.json"), str(synth_dir))
    assert result.returncode == 1
    assert "NEW finding CKV_AWS_23 on aws_vpc.network_vpc in prod" in result.stderr


def test_gate_fails_on_a_stale_entry(synth_dir, tmp_path):
    (tmp_path / "report.json").write_text(json.dumps(report(*allowlisted()[1:])))
    result = gate("--report", str(tmp_path / "report.json"), str(synth_dir))
    assert result.returncode == 1 and "STALE allowlist entry" in result.stderr


def test_gate_refuses_an_entry_without_a_real_reason(synth_dir, tmp_path):
    allowlist = tmp_path / "allowlist.toml"
    allowlist.write_text('[[checkov]]\ncheck = "CKV_AWS_2"\nresource = "aws_lb_listener.load_balancer_http_listener"\n'
                         'stacks = ["dev"]\nreason = "dev"\n')
    finding = ("CKV_AWS_2", "resource.load_balancer_http_listener", "dev")
    (tmp_path / "report.json").write_text(json.dumps(report(finding)))
    result = gate("--report", str(tmp_path / "report.json"), "--allowlist", str(allowlist), str(synth_dir))
    assert result.returncode == 1 and "reason missing or shorter than 10" in result.stderr


def test_every_allowlist_entry_has_a_reason():
    document = tomllib.loads(ALLOWLIST.read_text())
    for entry in document["checkov"] + document["container"]:
        assert len(entry["reason"].strip()) >= 10, entry
