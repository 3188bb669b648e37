"""The example set (examples/<design>/): one per design document in the brief. Each validates,
synthesizes and passes `terraform validate` with the real provider, and shows the design's
defining traits in its synthesized JSON. environments/ itself is design 004."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from environments.loader import load_environments, workspace_files
from review import diagram
from tests import mermaid, terraform_cli, tools
from tests.conftest import EXAMPLE_DIRECTORIES, PRIVATE_002, ROOT, containers_of, read_example_stacks

EXAMPLES = ROOT / "examples"
STACKS = [(directory.name, stack) for directory in EXAMPLE_DIRECTORIES for path in workspace_files(directory)
          for stack in (path.stem, f"{path.stem}-secrets")] + [("002-private-callers", "prod")]


def test_one_example_per_design_document():
    assert [directory.name[:3] for directory in EXAMPLE_DIRECTORIES] == ["001", "002", "003"]


@pytest.mark.parametrize("directory", EXAMPLE_DIRECTORIES, ids=lambda path: path.name)
def test_example_is_valid(directory):
    assert load_environments(None, directory=directory).workspaces


@pytest.fixture(scope="module")
def examples(examples_outdir) -> dict[str, dict[str, dict]]:
    return read_example_stacks(examples_outdir)


@pytest.mark.tools
def test_002_passes_the_checkov_gate(examples_outdir):
    """The example with resources no shipped workspace has (CloudFront, the edge web ACL) goes through
    the same gate and allowlist as the shipped stacks."""
    example = "002-high-availability"
    result = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "checkov_gate.py"), "--checkov", str(tools.tool_executable("checkov")),
         "--scope", example, str(examples_outdir / example)], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 new, 0 stale" in result.stdout


@pytest.mark.parametrize("directory", [*EXAMPLE_DIRECTORIES, EXAMPLES / "002-high-availability"],
                         ids=[*(path.name for path in EXAMPLE_DIRECTORIES), PRIVATE_002])
def test_the_plan_gate_passes_every_example_with_its_own_project(directory, examples_outdir, tmp_path, capsys):
    """What the project synthesizes from any design passes main's plan gate as a whole directory, each
    example's backend rebuilt from its own project.toml (the variant shares 002's)."""
    from review import plan_gate

    name = directory.name if directory in EXAMPLE_DIRECTORIES else PRIVATE_002
    status = plan_gate.main([str(examples_outdir / name), "--out", str(tmp_path / "gated"),
                             "--project", str(directory / "project.toml")])
    output = capsys.readouterr()
    assert status == 0, output.err
    planned = ["shared", *sorted(path.stem for path in workspace_files(directory))]
    assert sorted(path.name for path in (tmp_path / "gated" / "stacks").iterdir()) == sorted(planned)


@pytest.fixture(scope="module")
def validations(examples, terraform_env, tmp_path_factory):
    """Every example stack validated in one Terraform run (terraform_cli.validate_together)."""
    return terraform_cli.validate_together({f"{e}/{s}": examples[e][s] for e, s in STACKS},
                                           tmp_path_factory.mktemp("validate"), terraform_env["cli_config"])


@pytest.mark.terraform
@pytest.mark.parametrize("example, stack", STACKS, ids=[f"{e}/{s}" for e, s in STACKS])
def test_example_stack_passes_terraform_validate(example, stack, validations):
    report = validations[f"{example}/{stack}"]
    assert report == {"valid": True, "diagnostics": []}, json.dumps(report["diagnostics"], indent=2)


def test_001_is_a_bedrock_gateway_without_a_sidecar(examples):
    prod = examples["001-bedrock-gateway"]["prod"]
    assert list(containers_of(prod)) == ["litellm", "redis-auth-gate"]  # its tasks share a managed Redis
    assert "aws_efs_file_system" not in prod["resource"]
    bedrock = next(json.loads(body["policy"]) for body in prod["resource"]["aws_iam_role_policy"].values()
                   if body["name"] == "bedrock")
    assert bedrock["Statement"][0]["Resource"] == \
        "arn:aws:bedrock:eu-west-2:123456789012:inference-profile/eu.anthropic.claude-sonnet-5-5"
    assert "aws_wafv2_web_acl" in prod["resource"] and "aws_acm_certificate" in prod["resource"]
    assert not [name for name in examples["001-bedrock-gateway"]["prod-secrets"]["resource"]["aws_ssm_parameter"]
                if "api_key" in name], "Bedrock needs no API key"


def test_002_runs_two_to_six_tasks_on_shared_redis_in_three_zones(examples):
    prod = examples["002-high-availability"]["prod"]
    (target,) = prod["resource"]["aws_appautoscaling_target"].values()
    assert (target["min_capacity"], target["max_capacity"]) == (2, 6)
    (group,) = prod["resource"]["aws_elasticache_replication_group"].values()
    assert group["num_cache_clusters"] == 3 and group["multi_az_enabled"] is True
    assert len(prod["resource"]["aws_nat_gateway"]) == 3


def test_002_serves_through_cloudfront_with_an_internal_load_balancer(examples):
    prod = examples["002-high-availability"]["prod"]
    resources = prod["resource"]
    ((alb_name, alb),) = resources["aws_lb"].items()
    assert alb["internal"] is True and all("private_subnet" in subnet for subnet in alb["subnets"])
    assert [body["port"] for body in resources["aws_lb_listener"].values()] == [443]
    assert "aws_lb_listener_rule" not in resources and "aws_wafv2_web_acl_association" not in resources
    # The load balancer admits CloudFront's origin-facing addresses on 443 and nothing else.
    alb_group = "${aws_security_group.security_groups_alb_security_group.id}"
    ingress = [rule for rule in resources["aws_vpc_security_group_ingress_rule"].values()
               if rule["security_group_id"] == alb_group]
    (prefix_list,) = prod["data"]["aws_ec2_managed_prefix_list"].values()
    assert prefix_list["name"] == "com.amazonaws.global.cloudfront.origin-facing"
    assert [(rule["from_port"], rule.get("cidr_ipv4"), rule["prefix_list_id"]) for rule in ingress] == \
        [(443, None, "${data.aws_ec2_managed_prefix_list.security_groups_cloudfront_origin_facing.id}")]

    # Everything of the CDN is in us-east-1, on a provider tagged like the workspace's.
    main, edge = (next(p for p in prod["provider"]["aws"] if p.get("alias") == alias) for alias in (None, "edge"))
    assert edge["region"] == "us-east-1" and edge["default_tags"] == main["default_tags"]
    edge_resources = {f"{kind}.{name}": body for kind, by_name in resources.items() for name, body in by_name.items()
                      if body["//"]["metadata"]["path"].startswith("prod/cdn/")}
    assert {"aws_cloudfront_distribution.cdn_distribution", "aws_cloudfront_vpc_origin.cdn_vpc_origin",
            "aws_wafv2_web_acl.cdn_web_acl", "aws_acm_certificate.cdn_certificate",
            "aws_cloudwatch_log_group.cdn_waf_log_group", "aws_kms_key.cdn_key_key"} <= set(edge_resources)
    assert {body.get("provider") for body in edge_resources.values()} == {"aws.edge"}
    assert not [body for kind, by_name in resources.items() for name, body in by_name.items()
                if body.get("provider") and f"{kind}.{name}" not in edge_resources]

    (distribution,) = resources["aws_cloudfront_distribution"].values()
    (origin,) = distribution["origin"]
    assert origin["domain_name"] == f"${{aws_lb.{alb_name}.dns_name}}" and "custom_header" not in origin
    assert origin["vpc_origin_config"]["origin_read_timeout"] == 60
    (vpc_origin,) = resources["aws_cloudfront_vpc_origin"].values()
    assert vpc_origin["vpc_origin_endpoint_config"][0]["origin_protocol_policy"] == "https-only"
    behaviour = distribution["default_cache_behavior"]
    policies = prod["data"]
    assert behaviour["cache_policy_id"] == "${data.aws_cloudfront_cache_policy.cdn_caching_disabled.id}"
    assert policies["aws_cloudfront_cache_policy"]["cdn_caching_disabled"]["name"] == "Managed-CachingDisabled"
    assert policies["aws_cloudfront_origin_request_policy"]["cdn_all_viewer"]["name"] == "Managed-AllViewer"
    assert behaviour["viewer_protocol_policy"] == "https-only" and "POST" in behaviour["allowed_methods"]
    assert distribution["web_acl_id"] == "${aws_wafv2_web_acl.cdn_web_acl.arn}"
    assert distribution["viewer_certificate"]["minimum_protocol_version"] == "TLSv1.2_2021"
    assert distribution["aliases"] == ["llm.example.com"]

    # The edge certificate is validated by the record the regional one created (ACM uses one per name).
    assert resources["aws_acm_certificate_validation"]["cdn_certificate_validation"]["validation_record_fqdns"] == \
        ["${aws_route53_record.dns_validation_record.fqdn}"]
    aliases = [record for record in resources["aws_route53_record"].values() if "alias" in record]
    assert sorted(record["type"] for record in aliases) == ["A", "AAAA"]
    assert {record["alias"][0]["name"] if isinstance(record["alias"], list) else record["alias"]["name"]
            for record in aliases} == {"${aws_cloudfront_distribution.cdn_distribution.domain_name}"}

    (acl,) = resources["aws_wafv2_web_acl"].values()
    assert acl["scope"] == "CLOUDFRONT"
    # Admin routes answer the VPN's block only; everyone else is blocked at the edge.
    (admin,) = [rule for rule in acl["rule"] if rule["name"] == "admin-routes-from-admin-cidrs"]
    admin_paths, not_an_admin = admin["statement"]["and_statement"]["statement"]
    assert {"/ui", "/key/", "/docs"} <= admin_path_strings(admin_paths)
    (admin_set,) = resources["aws_wafv2_ip_set"].values()
    assert admin_set["addresses"] == ["198.51.100.0/24"] and admin_set["scope"] == "CLOUDFRONT"
    assert not_an_admin["not_statement"]["statement"][0]["ip_set_reference_statement"]["arn"] == \
        "${aws_wafv2_ip_set.cdn_admin_callers.arn}"
    assert "allowed-callers-only" not in {rule["name"] for rule in acl["rule"]}  # allowed_cidrs = 0.0.0.0/0


def admin_path_strings(statement: dict) -> set[str]:
    return {match["byte_match_statement"]["search_string"] for match in statement["or_statement"]["statement"]}


def test_002_variant_admits_its_callers_only_and_closes_the_admin_routes(examples):
    (acl,) = examples[PRIVATE_002]["prod"]["resource"]["aws_wafv2_web_acl"].values()
    rules = {rule["name"]: rule for rule in acl["rule"]}
    allowed = rules["allowed-callers-only"]
    assert allowed["action"] == {"block": {}}
    assert allowed["priority"] < rules["AWSManagedRulesCommonRuleSet"]["priority"]
    assert allowed["statement"]["not_statement"]["statement"][0]["ip_set_reference_statement"]["arn"] == \
        "${aws_wafv2_ip_set.cdn_allowed_callers.arn}"
    (ip_set,) = examples[PRIVATE_002]["prod"]["resource"]["aws_wafv2_ip_set"].values()
    assert ip_set["addresses"] == ["203.0.113.0/24"]
    assert {"/ui", "/key/", "/model/", "/openapi.json"} <= admin_path_strings(
        rules["admin-routes-from-admin-cidrs"]["statement"])  # admin_cidrs = []: closed to everyone


def test_003_differs_between_dev_and_prod_as_documented(examples):
    dev, prod = examples["003-litellm-only"]["dev"], examples["003-litellm-only"]["prod"]
    assert list(containers_of(dev)) == ["litellm"]
    assert list(containers_of(prod)) == ["litellm", "redis-auth-gate"]  # its tasks share a managed Redis
    assert "aws_lb_listener_rule" not in dev["resource"] and "aws_wafv2_web_acl" not in dev["resource"]
    assert "aws_elasticache_replication_group" not in dev["resource"], "one task needs no Redis"
    assert set(dev["resource"]["aws_lb_listener"]) == {"load_balancer_http_listener"}
    assert "load_balancer_https_listener" in prod["resource"]["aws_lb_listener"]
    assert prod["output"]["url"]["value"] == "https://litellm.example.com"
    assert "aws_vpc_endpoint" in prod["resource"] and "aws_vpc_endpoint" not in dev["resource"]


@pytest.mark.moto
@pytest.mark.terraform
def test_001_plans_on_moto(examples, terraform_env, tmp_path):
    """The Bedrock gateway's workspace stack, planned against moto with the real provider (local state:
    the example's bootstrap is not applied here; tests/test_moto_deploy.py covers the S3 backend)."""
    from stacks import endpoints
    from tests.moto_server import moto_server

    stack = json.loads(json.dumps(examples["001-bedrock-gateway"]["prod"]))
    stack["terraform"].pop("backend")
    (tmp_path / "cdk.tf.json").write_text(json.dumps(stack))
    shutil.copy(terraform_cli.LOCK_FILE, tmp_path / ".terraform.lock.hcl")
    config = terraform_env["cli_config"]
    with moto_server() as url:
        (tmp_path / endpoints.OVERRIDE_FILE).write_text(json.dumps(endpoints.override(stack, url)))
        for command in (["init", "-input=false", "-lockfile=readonly"], ["plan", "-input=false", "-json"]):
            result = terraform_cli.run(command, cwd=tmp_path, cli_config=config, timeout=600)
            assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    plan = terraform_cli.planned_changes(result.stdout)
    assert plan == terraform_cli.creating_every(terraform_cli.addresses(stack))
    created = {address.split(".")[0] for address in plan["changes"]}
    assert {"aws_acm_certificate", "aws_route53_record", "aws_elasticache_replication_group", "aws_ecs_service",
            "aws_wafv2_web_acl", "aws_db_instance"} <= created


@pytest.mark.tools
def test_002_diagram_shows_cloudfront_in_front_of_an_internal_load_balancer(examples):
    text = diagram.mermaid(examples["002-high-availability"]["prod"])
    assert "internet --> waf --> cdn" in text and "cdn --> alb --> tasks" in text
    assert '"ALB internal<br/>HTTPS :443"' in text and "CLOUDFRONT scope" in text
    (result,) = mermaid.parse([text])
    assert result["ok"], result
