"""Assertions on the synthesized Terraform JSON of every stack."""

from __future__ import annotations

import json
import re

import pytest

from environments.loader import load_environments
from environments.secret_inputs import DATABASE_PASSWORD, PLACEHOLDER, container_secret_names, provided_secrets
from tests.conftest import SECRETS_STACKS, SHARED_STACKS, SHIPPED_WORKSPACES, containers_of

SECRET_NAMES = re.compile(r"API_KEY|MASTER_KEY|SALT_KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL", re.IGNORECASE)


def resources(stack: dict, resource_type: str) -> dict:
    return stack["resource"].get(resource_type, {})


def only(stack: dict, resource_type: str) -> dict:
    found = resources(stack, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))


def containers(stack: dict) -> dict[str, dict]:
    definitions = json.loads(only(stack, "aws_ecs_task_definition")["container_definitions"])
    return {container["name"]: container for container in definitions}


def workspace(name: str):
    return load_environments([name]).workspaces[0]


def test_manifest_lists_every_stack(stacks):
    assert sorted(stacks) == sorted(SHARED_STACKS + SHIPPED_WORKSPACES + SECRETS_STACKS)


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_task_has_litellm_and_ollama_and_waits_for_the_model(name, stacks):
    found = containers(stacks[name])
    managed_redis = workspace(name).settings.redis is not None  # its AUTH gate: tests/test_redis_auth_gate.py
    gate = [{"containerName": "redis-auth-gate", "condition": "SUCCESS"}] if managed_redis else []
    assert list(found) == ["ollama", "litellm", *(dependency["containerName"] for dependency in gate)]
    found.pop("redis-auth-gate", None)
    litellm, ollama = found["litellm"], found["ollama"]
    assert litellm["dependsOn"] == [{"containerName": "ollama", "condition": "HEALTHY"}, *gate]
    model = workspace(name).settings.task.ollama.model
    assert ollama["healthCheck"]["command"] == ["CMD", "ollama", "show", model]
    settings = workspace(name).settings.task.ollama
    pinned = {item["name"]: item["value"] for item in ollama["environment"]}
    # What the memory rule counted is what Ollama allocates.
    assert pinned["OLLAMA_CONTEXT_LENGTH"] == str(settings.context_length)
    assert pinned["OLLAMA_NUM_PARALLEL"] == str(settings.num_parallel)
    assert 2 <= ollama["startTimeout"] <= 120
    assert litellm["portMappings"][0]["containerPort"] == 4000
    assert "127.0.0.1:4000/health/liveliness" in " ".join(litellm["healthCheck"]["command"])
    assert not any(container.get("privileged") for container in found.values())
    prefixes = {c["logConfiguration"]["options"]["awslogs-stream-prefix"] for c in found.values()}
    groups = {c["logConfiguration"]["options"]["awslogs-group"] for c in found.values()}
    assert prefixes == {"litellm", "ollama"} and len(groups) == 2


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_secrets_reach_the_container_by_reference_only(name, stacks):
    stack, written = stacks[name], stacks[f"{name}-secrets"]
    settings = workspace(name).settings
    parameters = {parameter["name"]: parameter for parameter in resources(written, "aws_ssm_parameter").values()}
    secrets = {secret["name"]: secret["valueFrom"] for secret in containers(stack)["litellm"]["secrets"]}
    assert set(secrets) == container_secret_names(settings)
    prefix = f"arn:aws:ssm:{settings.region}:123456789012:parameter"
    for variable, reference in secrets.items():
        if variable == DATABASE_PASSWORD:
            assert reference == "${aws_db_instance.database_instance.master_user_secret[0].secret_arn}:password::"
            continue
        assert reference.startswith(prefix + "/"), f"{variable} is not an SSM parameter ARN: {reference}"
        parameter = parameters[reference.removeprefix(prefix)]  # written by the workspace's secrets stack
        assert parameter["type"] == "SecureString" and parameter["name"].startswith(f"/litellm/{name}/")
        assert parameter["key_id"] == "${aws_kms_key.secrets_key_key.arn}"
    assert len(parameters) == len(secrets) - 1, "a secret parameter no container reads"
    for container in containers(stack).values():
        for variable in container["environment"]:
            assert not SECRET_NAMES.search(variable["name"]), f"{variable['name']} is a plain environment value"


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_no_secret_is_a_terraform_value(name, stacks):
    """Secrets never pass through Terraform values: write-only arguments from an ephemeral
    resource, placeholders written once, and the database password owned by RDS."""
    stack, written = stacks[name], stacks[f"{name}-secrets"]
    assert "aws_ssm_parameter" not in stack["resource"] and "variable" not in stack and "ephemeral" not in stack
    database = only(stack, "aws_db_instance")
    assert database["manage_master_user_password"] is True
    assert database["master_user_secret_kms_key_id"] == "${aws_kms_key.workspace_key_key.arn}"
    assert not {"password", "password_wo"} & set(database)
    generators = written["ephemeral"]["aws_secretsmanager_random_password"]
    assert all(body["password_length"] >= 32 and body["exclude_punctuation"] for body in generators.values())
    by_name = {parameter["name"].rsplit("/", 1)[-1]: parameter
               for parameter in resources(written, "aws_ssm_parameter").values()}
    for parameter in by_name.values():
        assert "value" not in parameter and parameter["value_wo_version"] == 1, parameter["name"]
    generated = "${{ephemeral.aws_secretsmanager_random_password.litellm_{}.random_password}}"
    assert by_name["master_key"]["value_wo"] == "sk-" + generated.format("master_key")
    assert by_name["salt_key"]["value_wo"] == generated.format("salt_key")
    protected = workspace(name).settings.database.deletion_protection
    assert by_name["salt_key"].get("lifecycle", {}).get("prevent_destroy", False) is protected
    for secret in provided_secrets(workspace(name).settings):
        assert by_name[secret.parameter.rsplit("/", 1)[-1]]["value_wo"] == PLACEHOLDER


def test_every_stack_uses_only_the_aws_provider_and_terraform_1_11(stacks):
    for name, stack in stacks.items():
        assert set(stack["terraform"]["required_providers"]) == {"aws"}, name
        assert set(stack["provider"]) == {"aws"}, name
        assert stack["terraform"]["required_version"] == ">= 1.11", name


def test_no_secret_material_anywhere_in_the_output(synth_dir):
    text = "\n".join(path.read_text() for path in synth_dir.rglob("*.json"))
    assert not re.search(r"sk-[A-Za-z0-9]{16,}", text)
    assert not re.search(r"AKIA[0-9A-Z]{16}", text)
    assert not re.search(r'"password"\s*:\s*"(?!\$\{)', text)
    assert "BEGIN RSA PRIVATE KEY" not in text and "BEGIN PRIVATE KEY" not in text


def test_backends_share_one_bucket_with_distinct_keys(stacks):
    backends = {name: stack["terraform"]["backend"] for name, stack in stacks.items()}
    assert list(backends["bootstrap"]) == ["local"]
    remote = {name: backend["s3"] for name, backend in backends.items() if name != "bootstrap"}
    assert len({backend["bucket"] for backend in remote.values()}) == 1
    assert len({backend["key"] for backend in remote.values()}) == len(remote)
    for name, backend in remote.items():
        # A workspace's two stacks share its state folder: litellm/<workspace>/{terraform,secrets}.tfstate
        folder, file = (name.removesuffix("-secrets"), "secrets") if name in SECRETS_STACKS else (name, "terraform")
        assert backend["key"] == f"litellm/{folder}/{file}.tfstate"
        assert backend["encrypt"] is True and backend["dynamodb_table"] and backend["kms_key_id"]


@pytest.mark.parametrize("name", SHARED_STACKS + SHIPPED_WORKSPACES)
def test_provider_is_pinned_to_the_account_and_tags_everything(name, stacks):
    provider = stacks[name]["provider"]["aws"][0]
    assert provider["allowed_account_ids"] == ["123456789012"]
    tags = provider["default_tags"][0]["tags"]
    assert tags["Project"] == "litellm" and tags["ManagedBy"] == "cdktf"
    if name in SHIPPED_WORKSPACES:
        assert tags["Workspace"] == name


@pytest.mark.parametrize("name", SHARED_STACKS + SHIPPED_WORKSPACES)
def test_resource_names_are_unique_across_types(name, stacks):
    """checkov reports some findings by resource name only."""
    names = [resource for by_type in stacks[name]["resource"].values() for resource in by_type]
    duplicates = {resource for resource in names if names.count(resource) > 1}
    assert not duplicates


def test_prod_settings(stacks):
    prod = stacks["prod"]
    database = only(prod, "aws_db_instance")
    assert database["deletion_protection"] is True and database["multi_az"] is True
    assert database["skip_final_snapshot"] is False and database["final_snapshot_identifier"]
    assert database["storage_encrypted"] is True and database["publicly_accessible"] is False
    assert database["performance_insights_enabled"] is True
    alb = only(prod, "aws_lb")
    assert alb["enable_deletion_protection"] is True
    listeners = {body["port"]: body for body in resources(prod, "aws_lb_listener").values()}
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    redirect = listeners[80]["default_action"][0]
    assert redirect["type"] == "redirect" and redirect["redirect"]["status_code"] == "HTTP_301"
    assert resources(prod, "aws_wafv2_web_acl_association")
    assert len(resources(prod, "aws_nat_gateway")) == 3
    service = only(prod, "aws_ecs_service")
    assert service["capacity_provider_strategy"][0]["capacity_provider"] == "FARGATE"


def test_dev_settings(stacks):
    dev = stacks["dev"]
    assert only(dev, "aws_db_instance")["deletion_protection"] is False
    assert only(dev, "aws_lb")["enable_deletion_protection"] is False
    listener = only(dev, "aws_lb_listener")
    assert listener["port"] == 80 and listener["default_action"][0]["type"] == "forward"
    assert not resources(dev, "aws_wafv2_web_acl")
    assert len(resources(dev, "aws_nat_gateway")) == 1


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_load_balancer_and_target_group(name, stacks):
    alb = only(stacks[name], "aws_lb")
    assert alb["drop_invalid_header_fields"] is True and alb["idle_timeout"] >= 300 and alb["internal"] is False
    target_group = only(stacks[name], "aws_lb_target_group")
    assert target_group["target_type"] == "ip" and target_group["port"] == 4000
    assert target_group["health_check"]["path"] == "/health/liveliness"
    litellm = workspace(name).settings.litellm
    # Drains as long as a request may last; routes to the least busy task.
    assert target_group["deregistration_delay"] == str(litellm.request_timeout_seconds * (litellm.num_retries + 1))
    assert int(target_group["deregistration_delay"]) <= alb["idle_timeout"]
    assert target_group["load_balancing_algorithm_type"] == "least_outstanding_requests"
    command = containers(stacks[name])["litellm"]["command"]
    keepalive = int(command[command.index("--keepalive_timeout") + 1])
    assert keepalive > alb["idle_timeout"], "uvicorn would close connections the ALB still reuses (502s)"


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_service_runs_privately_with_rollback_and_autoscaling(name, stacks):
    stack = stacks[name]
    service = only(stack, "aws_ecs_service")
    network = service["network_configuration"]
    assert network["assign_public_ip"] is False
    assert all("private_subnet" in subnet for subnet in network["subnets"])
    assert service["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert service["platform_version"] == "LATEST" and service["enable_execute_command"] is False
    assert service["deployment_minimum_healthy_percent"] == 100 and service["deployment_maximum_percent"] == 200
    assert service["health_check_grace_period_seconds"] >= 60
    assert service["lifecycle"]["ignore_changes"] == ["desired_count"]
    targets = {
        body["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"]["predefined_metric_type"]:
        body["target_tracking_scaling_policy_configuration"]["target_value"]
        for body in resources(stack, "aws_appautoscaling_policy").values()
    }
    assert targets == {"ECSServiceAverageCPUUtilization": 70, "ECSServiceAverageMemoryUtilization": 80,
                       "ALBRequestCountPerTarget": 1000}


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_database_tier_has_no_route_out(name, stacks):
    stack = stacks[name]
    database_tables = {key for key in resources(stack, "aws_route_table") if "database" in key}
    assert len(database_tables) == 1
    table = next(iter(database_tables))
    routes = resources(stack, "aws_route").values()
    assert not [route for route in routes if table in route["route_table_id"]]
    assert "route" not in resources(stack, "aws_route_table")[table]


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_security_group_chain(name, stacks):
    stack = stacks[name]
    ingress = list(resources(stack, "aws_vpc_security_group_ingress_rule").values())
    allowed = set(workspace(name).settings.ingress.allowed_cidrs)

    def group(rule: dict) -> str:
        return rule["security_group_id"].split(".")[1]

    for rule in ingress:
        target = group(rule)
        if "cidr_ipv4" in rule:
            assert target in {"security_groups_alb_security_group", "network_endpoints_security_group"}, rule
            if target == "security_groups_alb_security_group":
                assert rule["cidr_ipv4"] in allowed and rule["from_port"] in {80, 443}
        else:
            source = rule["referenced_security_group_id"].split(".")[1]
            expected_source = {
                "security_groups_ecs_security_group": "security_groups_alb_security_group",
                "security_groups_database_security_group": "security_groups_ecs_security_group",
                "security_groups_efs_security_group": "security_groups_ecs_security_group",
                "redis_security_group": "security_groups_ecs_security_group",
            }[target]
            assert source == expected_source, rule
    ports = {group(rule): rule["from_port"] for rule in ingress if "referenced_security_group_id" in rule}
    assert ports["security_groups_ecs_security_group"] == 4000
    assert ports["security_groups_database_security_group"] == 5432
    if workspace(name).settings.redis is not None:
        assert ports["redis_security_group"] == 6379
        assert "egress" not in resources(stack, "aws_security_group")["redis_security_group"], "Redis sends nothing"


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_execution_role_reads_only_its_workspace(name, stacks):
    stack = stacks[name]
    policy = json.loads(next(
        body["policy"] for body in resources(stack, "aws_iam_role_policy").values() if body["name"] == "task-execution"
    ))
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert statements["ReadWorkspaceSecrets"]["Resource"] == \
        f"arn:aws:ssm:eu-west-1:123456789012:parameter/litellm/{name}/*"
    assert statements["ReadWorkspaceSecrets"]["Action"] == ["ssm:GetParameters"]
    # The secrets key is the secrets stack's, named by its alias; the database password's is the workspace key.
    assert statements["DecryptWorkspaceSecrets"]["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": [f"alias/litellm-{name}-secrets"]}}
    assert statements["DecryptWorkspaceSecrets"]["Action"] == ["kms:Decrypt"]
    assert stacks[f"{name}-secrets"]["resource"]["aws_kms_alias"]["secrets_key_alias"]["name"] == \
        f"alias/litellm-{name}-secrets"
    assert statements["ReadDatabasePassword"]["Resource"] == \
        "${aws_db_instance.database_instance.master_user_secret[0].secret_arn}"
    assert statements["DecryptDatabasePassword"]["Resource"] == "${aws_kms_key.workspace_key_key.arn}"
    assert only(stack, "aws_kms_key")["enable_key_rotation"] is True
    assert only(stacks[f"{name}-secrets"], "aws_kms_key")["enable_key_rotation"] is True


def test_bootstrap_creates_a_hardened_backend(stacks):
    bootstrap = stacks["bootstrap"]
    table = only(bootstrap, "aws_dynamodb_table")
    assert table["hash_key"] == "LockID" and table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"]["enabled"] is True
    assert only(bootstrap, "aws_s3_bucket_versioning")["versioning_configuration"]["status"] == "Enabled"
    block = only(bootstrap, "aws_s3_bucket_public_access_block")
    assert all(block[key] is True for key in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                              "restrict_public_buckets"))
    encryption = only(bootstrap, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert encryption["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    policy = json.loads(only(bootstrap, "aws_s3_bucket_policy")["policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_shared_stack_ecr_repositories(stacks):
    repositories = resources(stacks["shared"], "aws_ecr_repository")
    assert {body["name"] for body in repositories.values()} == {"litellm/litellm", "litellm/ollama"}
    for body in repositories.values():
        assert body["image_tag_mutability"] == "IMMUTABLE"
        assert body["image_scanning_configuration"]["scan_on_push"] is True
    assert len(resources(stacks["shared"], "aws_ecr_lifecycle_policy")) == 2


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_useful_outputs(name, stacks):
    assert {"url", "alb_dns_name", "cluster_name", "service_name", "ssm_parameters"} <= set(stacks[name]["output"])


def test_github_roles_live_in_bootstrap_and_trust_one_workflow_on_main(stacks):
    """The trust root is the administrator-applied bootstrap stack; the shared stack, which CI
    deploys, holds no IAM at all."""
    bootstrap, shared = stacks["bootstrap"], stacks["shared"]
    assert not [kind for kind in shared["resource"] if kind.startswith("aws_iam_")]
    (provider,) = resources(bootstrap, "aws_iam_openid_connect_provider").values()
    assert provider["url"] == "https://token.actions.githubusercontent.com"
    roles = {body["name"]: body for body in resources(bootstrap, "aws_iam_role").values()}
    groups = ["shared", *sorted(SHIPPED_WORKSPACES)]
    assert set(roles) == {f"litellm-ci-{kind}-{name}" for kind in ("plan", "deploy") for name in groups}

    def subjects(role: str) -> list[str]:
        (statement,) = json.loads(roles[role]["assume_role_policy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert "Resource" not in statement, "IAM refuses a trust policy with a Resource"
        assert statement["Principal"] == {"Federated": "${aws_iam_openid_connect_provider.github_github_oidc.arn}"}
        assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
        return statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]

    prefix = "repo:acme/litellm-infra:environment:"
    workflows = ":job_workflow_ref:acme/litellm-infra/.github/workflows/"
    for name in groups:
        assert subjects(f"litellm-ci-plan-{name}") == [f"{prefix}plan-{name}{workflows}{workflow}@refs/heads/main"
                                                       for workflow in ("plan-stacks.yml", "drift.yml")]
        # Image bumps are pull requests: image-bump.yml assumes no deploy role; destroy.yml tears down
        # development and staging workspaces only.
        trusted = ("deploy.yml", "destroy.yml") if name in ("dev", "staging") else ("deploy.yml",)
        assert subjects(f"litellm-ci-deploy-{name}") == [f"{prefix}{name}{workflows}{workflow}@refs/heads/main"
                                                         for workflow in trusted]


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_every_workspace_role_is_under_its_path_and_boundary(name, stacks):
    roles = resources(stacks[name], "aws_iam_role")
    assert len(roles) >= 3
    for role in roles.values():
        assert role["path"] == f"/litellm/{name}/", role["name"]
        assert role["permissions_boundary"] == f"arn:aws:iam::123456789012:policy/litellm-{name}-boundary"


def test_each_stack_group_has_its_own_state_key(stacks):
    keys = {alias["name"] for alias in resources(stacks["bootstrap"], "aws_kms_alias").values()}
    for name, stack in stacks.items():
        if name == "bootstrap":
            continue
        group = name.removesuffix("-secrets")
        assert stack["terraform"]["backend"]["s3"]["kms_key_id"] == \
            f"arn:aws:kms:eu-west-1:123456789012:alias/litellm-state-{group}"
        assert f"alias/litellm-state-{group}" in keys


# --- the runtime at scale: Redis, admin routes, WAF body rules, alarms -------------------------

@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_managed_redis_follows_the_model(name, stacks):
    settings = workspace(name).settings
    groups = resources(stacks[name], "aws_elasticache_replication_group")
    if settings.redis is None:
        assert not groups
        return
    (group,) = groups.values()
    redis = settings.redis
    assert group["replication_group_id"] == f"litellm-{name}-redis"
    assert (group["engine"], group["engine_version"], group["node_type"]) == (
        redis.engine, redis.engine_version, redis.node_type)
    assert group["num_cache_clusters"] == redis.replicas + 1
    assert group["automatic_failover_enabled"] is group["multi_az_enabled"] is (redis.replicas > 0)
    assert group["transit_encryption_enabled"] is True and group["transit_encryption_mode"] == "required"
    assert group["at_rest_encryption_enabled"] == "true"
    assert group["kms_key_id"] == "${aws_kms_key.workspace_key_key.arn}"
    assert "auth_token" not in group, "a token set here would sit in state"
    assert group["snapshot_retention_limit"] == redis.snapshot_retention_days
    subnet_group = only(stacks[name], "aws_elasticache_subnet_group")
    assert all("private" in subnet for subnet in subnet_group["subnet_ids"]), subnet_group["subnet_ids"]
    log_groups = {item["destination"] for item in group["log_delivery_configuration"]}
    assert log_groups == {"${aws_cloudwatch_log_group.redis_slow_log_log_group.name}",
                          "${aws_cloudwatch_log_group.redis_engine_log_log_group.name}"}
    for log_group in ("redis_slow_log_log_group", "redis_engine_log_log_group"):
        assert resources(stacks[name], "aws_cloudwatch_log_group")[log_group]["kms_key_id"]
    # The token is generated by the secrets stack, write-only, and named to the container by reference.
    parameters = resources(stacks[f"{name}-secrets"], "aws_ssm_parameter")
    token = parameters["secrets_redis_password_parameter"]
    assert token["name"] == f"/litellm/{name}/cache/redis_password" and "value" not in token
    assert "redis_password" in stacks[f"{name}-secrets"]["ephemeral"]["aws_secretsmanager_random_password"]
    environment = {item["name"]: item["value"] for item in containers_of(stacks[name])["litellm"]["environment"]}
    endpoint = "${aws_elasticache_replication_group.redis_replication_group.primary_endpoint_address}"
    assert environment["REDIS_HOST"] == endpoint
    assert (environment["REDIS_PORT"], environment["REDIS_SSL"]) == ("6379", "True")


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_admin_routes_only_from_the_admin_blocks(name, stacks):
    from modules.load_balancer.admin import ADMIN_PATHS

    cidrs = workspace(name).settings.ingress.admin_cidrs
    rules = resources(stacks[name], "aws_lb_listener_rule")
    if cidrs is None:
        assert not rules
        return
    allow = [rule for key, rule in rules.items() if "admin_allow" in key]
    deny = [rule for key, rule in rules.items() if "admin_deny" in key]

    def paths(rule: dict) -> list[str]:
        return [value for condition in rule["condition"]
                for value in condition.get("path_pattern", {}).get("values", [])]

    def values(rule: dict) -> int:
        return sum(len(next(iter(condition.values()))["values"]) for condition in rule["condition"])

    assert sorted(path for rule in deny for path in paths(rule)) == sorted(ADMIN_PATHS)
    for rule in deny:
        assert rule["action"][0]["fixed_response"]["status_code"] == "403"
        assert values(rule) <= 5
    for rule in allow:
        (source,) = [condition["source_ip"]["values"] for condition in rule["condition"] if "source_ip" in condition]
        assert source == cidrs and rule["action"][0]["type"] == "forward"
        assert values(rule) <= 5, "an ALB rule holds 5 condition values"
        # Each allow rule comes just before the deny rule of the same paths.
        (twin,) = [other for other in deny if paths(other) == paths(rule)]
        assert twin["priority"] == rule["priority"] + 1
    assert len(allow) == (len(deny) if cidrs else 0)


def test_admin_rules_with_several_blocks_and_none(stacks):
    from modules.load_balancer.admin import ADMIN_PATHS, admin_rule_paths

    for cidrs in ([], ["10.0.0.0/8"], ["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "198.51.100.0/24"]):
        groups = admin_rule_paths(cidrs)
        assert [path for group in groups for path in group] == list(ADMIN_PATHS)
        assert all(len(group) + len(cidrs) <= 5 for group in groups)


@pytest.mark.parametrize("name", ["staging", "prod"])
def test_waf_counts_the_body_rules_that_fire_on_prompts(name, stacks):
    acl = only(stacks[name], "aws_wafv2_web_acl")
    (common,) = [rule for rule in acl["rule"] if rule["name"] == "AWSManagedRulesCommonRuleSet"]
    counted = {item["name"] for item in common["statement"]["managed_rule_group_statement"]["rule_action_override"]
               if item["action_to_use"] == {"count": {}}}
    assert {"CrossSiteScripting_BODY", "GenericLFI_BODY", "GenericRFI_BODY", "EC2MetaDataSSRF_BODY",
            "SizeRestrictions_BODY"} == counted
    # Everything else in the group still blocks: query strings, URIs, headers and cookies.
    assert all(rule.endswith("_BODY") for rule in counted)


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_alarms_fit_the_workspace(name, stacks):
    settings = workspace(name).settings
    alarms = {body["alarm_name"].removeprefix(f"litellm-{name}-"): body
              for body in resources(stacks[name], "aws_cloudwatch_metric_alarm").values()}
    latency = alarms["alb-latency-p95"]
    assert latency["threshold"] == round(settings.litellm.request_timeout_seconds * 0.8, 1)
    assert latency["threshold"] > 3, "LLM responses take longer than web pages"
    assert alarms["alb-504"]["metric_name"] == "HTTPCode_ELB_504_Count"
    if settings.task.min_count > 0:
        floor = alarms["tasks-below-floor"]
        assert (floor["metric_name"], floor["threshold"]) == ("HealthyHostCount", settings.task.min_count)
    from environments.rules import usable_database_connections

    assert alarms["rds-connections-high"]["threshold"] == round(usable_database_connections(settings.database) * 0.9)
    redis = sorted(key for key in alarms if key.startswith("redis-"))
    nodes = settings.redis.replicas + 1 if settings.redis else 0
    assert len(redis) == 4 * nodes
    for key in redis:
        assert alarms[key]["dimensions"]["CacheClusterId"].startswith(f"litellm-{name}-redis-00")
    for body in alarms.values():
        assert body["alarm_actions"] == body["ok_actions"] == ["${aws_sns_topic.observability_alarm_topic.arn}"]
    rule = resources(stacks[name], "aws_cloudwatch_event_rule")["observability_deployment_failed"]
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail"] == {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]}
    assert pattern["resources"] == ["${aws_ecs_service.ecs_service.id}"]
    target = resources(stacks[name], "aws_cloudwatch_event_target")["observability_deployment_failed_to_topic"]
    assert target["arn"] == "${aws_sns_topic.observability_alarm_topic.arn}"
    topic_policy = json.loads(only(stacks[name], "aws_sns_topic_policy")["policy"])
    assert topic_policy["Statement"][0]["Principal"]["Service"] == ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    subscriptions = resources(stacks[name], "aws_sns_topic_subscription")
    assert bool(subscriptions) is (settings.observability.alarm_email is not None)


def test_a_domain_gets_a_validated_certificate_and_an_alias(stacks):
    """staging names a domain: the stack issues the certificate, validates it in the zone, and the
    HTTPS listener uses it only once validated; prod brings its own certificate."""
    domain = workspace("staging").settings.ingress.domain
    staging = stacks["staging"]
    certificate = only(staging, "aws_acm_certificate")
    assert (certificate["domain_name"], certificate["validation_method"]) == (domain.name, "DNS")
    records = resources(staging, "aws_route53_record")
    validation, alias = records["dns_validation_record"], records["dns_alias_record"]
    assert validation["zone_id"] == alias["zone_id"] == domain.hosted_zone_id
    assert "domain_validation_options" in validation["name"] and "domain_validation_options" in validation["records"][0]
    assert only(staging, "aws_acm_certificate_validation")["validation_record_fqdns"] == [
        "${aws_route53_record.dns_validation_record.fqdn}"]
    assert alias["name"] == domain.name and alias["alias"]["name"] == "${aws_lb.load_balancer_alb.dns_name}"
    listener = resources(staging, "aws_lb_listener")["load_balancer_https_listener"]
    assert listener["certificate_arn"] == "${aws_acm_certificate_validation.dns_validation.certificate_arn}"
    assert staging["output"]["url"]["value"] == f"https://{domain.name}"
    prod = stacks["prod"]
    assert "aws_acm_certificate" not in prod["resource"] and "aws_route53_record" not in prod["resource"]
    assert resources(prod, "aws_lb_listener")["load_balancer_https_listener"]["certificate_arn"] == \
        workspace("prod").settings.ingress.certificate_arn


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_task_start_up_needs_no_nat_where_endpoints_are_on(name, stacks):
    """Every AWS call a task makes to start - image layers, logs, SSM parameters and the RDS-managed
    database password in Secrets Manager - has an endpoint in the VPC when the workspace turns them on."""
    endpoints = stacks[name]["resource"].get("aws_vpc_endpoint", {})
    if not workspace(name).settings.network.vpc_endpoints:
        assert endpoints == {}
        return
    region = workspace(name).settings.region
    assert {(body["service_name"], body["vpc_endpoint_type"], body.get("private_dns_enabled"))
            for body in endpoints.values()} == {
        (f"com.amazonaws.{region}.{service}", "Interface", True)
        for service in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm")} | {
        (f"com.amazonaws.{region}.s3", "Gateway", None)}


@pytest.mark.parametrize("name", SHIPPED_WORKSPACES)
def test_a_password_rotation_rolls_the_service(name, stacks):
    """The schedule the model states, and the roll after every rotation: EventBridge (the secret's
    AWSCURRENT moved) -> a STANDARD state machine -> ECS UpdateService; each role does one thing."""
    from modules.rotation import documents

    stack = stacks[name]
    strip = lambda body: {key: value for key, value in body.items() if key != "//"}  # noqa: E731
    secret = "${aws_db_instance.database_instance.master_user_secret[0].secret_arn}"
    days = workspace(name).settings.database.password_rotation_days
    schedules = {key: strip(body) for key, body in resources(stack, "aws_secretsmanager_secret_rotation").items()}
    assert schedules == ({} if days == "off" else {"password_rotation_schedule": {
        "secret_id": secret, "rotate_immediately": False, "rotation_rules": {"automatically_after_days": days}}})

    rule = strip(resources(stack, "aws_cloudwatch_event_rule")["password_rotation_rule"])
    assert json.loads(rule.pop("event_pattern")) == {
        "source": ["aws.secretsmanager"], "detail-type": ["Secret Label Updated"], "resources": [secret],
        "detail": {"labelUpdated": ["AWSCURRENT"]}}
    assert rule["name"] == f"litellm-{name}-password-rotated"
    assert strip(resources(stack, "aws_cloudwatch_event_target")["password_rotation_target"]) == {
        "rule": "${aws_cloudwatch_event_rule.password_rotation_rule.name}",
        "arn": "${aws_sfn_state_machine.password_rotation_state_machine.arn}",
        "role_arn": "${aws_iam_role.password_rotation_events_role.arn}",
        "depends_on": ["aws_iam_role_policy.password_rotation_events_role_policy"]}

    machine = strip(only(stack, "aws_sfn_state_machine"))
    assert json.loads(machine.pop("definition")) == documents.state_machine_definition(
        cluster="${aws_ecs_cluster.ecs_cluster.name}", service="${aws_ecs_service.ecs_service.name}")
    assert machine == {"name": f"litellm-{name}-password-roll", "type": "STANDARD",
                       "role_arn": "${aws_iam_role.password_rotation_state_machine_role.arn}",
                       "depends_on": ["aws_iam_role_policy.password_rotation_state_machine_role_policy"]}

    roles = resources(stack, "aws_iam_role")
    policies = resources(stack, "aws_iam_role_policy")
    region_account = "eu-west-1:123456789012"
    for role, service, source, policy, statement in (
        ("password_rotation_events_role", "events.amazonaws.com",
         f"arn:aws:events:{region_account}:rule/litellm-{name}-password-rotated",
         "password_rotation_events_role_policy",
         {"Sid": "StartTheRoll", "Effect": "Allow", "Action": ["states:StartExecution"],
          "Resource": "${aws_sfn_state_machine.password_rotation_state_machine.arn}"}),
        ("password_rotation_state_machine_role", "states.amazonaws.com",
         f"arn:aws:states:{region_account}:stateMachine:litellm-{name}-password-roll",
         "password_rotation_state_machine_role_policy",
         {"Sid": "RollTheService", "Effect": "Allow", "Action": ["ecs:UpdateService"],
          "Resource": "${aws_ecs_service.ecs_service.id}"}),
    ):
        assert json.loads(roles[role]["assume_role_policy"]) == {"Version": "2012-10-17", "Statement": [{
            "Sid": "ServiceAssumesRole", "Effect": "Allow", "Principal": {"Service": service},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"},
                                                      "ArnLike": {"aws:SourceArn": source}}}]}
        assert policies[policy]["role"] == f"${{aws_iam_role.{role}.id}}"
        assert json.loads(policies[policy]["policy"]) == {"Version": "2012-10-17", "Statement": [statement]}
