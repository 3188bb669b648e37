"""Gate for synthesized stacks that may come from an untrusted pull request.

    python .ci/plan_gate.py cdktf.out [--state-bucket NAME]

Run from the base branch's checkout (never from the pull request's tree), before any
`terraform init/plan` that holds credentials. `terraform plan` executes what the JSON says: a
provider of the PR's choosing, a provisioner, an `external` or `http` data source, or a
`file()` call would run on the runner with the plan role's credentials and the OIDC token
request variables in its environment. So a stack passes only if it is made of:

- the providers hashicorp/aws (without endpoint, credential, proxy or role settings) and
  hashicorp/random; no module, no provisioner, no connection;
- resources and ephemeral resources of those providers; data sources from an allowlist;
- an S3 backend (only its plain settings; the project's bucket when --state-bucket is given),
  or the bootstrap stack's local backend;
- expressions that read no file of the runner (file*, templatefile, abspath, pathexpand);
- nothing in a stack directory but cdk.tf.json and the lock file, and no symlink.

Standard library only: it must run before anything of the pull request is installed.
Exit 0 when every stack passes, 1 with one line per finding otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

PROVIDER_SOURCES = {
    "aws": {"aws", "hashicorp/aws", "registry.terraform.io/hashicorp/aws"},
    "random": {"random", "hashicorp/random", "registry.terraform.io/hashicorp/random"},
}
# Provider arguments that cannot send requests (and credentials) anywhere but AWS's own endpoints.
AWS_PROVIDER_KEYS = {"region", "allowed_account_ids", "forbidden_account_ids", "default_tags", "ignore_tags", "alias",
                     "max_retries", "retry_mode"}
RESOURCE_PREFIXES = ("aws_", "random_")
EPHEMERAL_TYPES = {"aws_secretsmanager_random_password", "random_password"}
# Data sources that only describe: no invocation, no decryption, nothing from outside AWS.
DATA_SOURCES = {
    "aws_availability_zones", "aws_caller_identity", "aws_elb_service_account", "aws_iam_policy_document",
    "aws_kms_alias", "aws_partition", "aws_region", "aws_vpc", "aws_subnets",
}
S3_BACKEND_KEYS = {"bucket", "key", "region", "encrypt", "kms_key_id", "dynamodb_table", "use_lockfile"}
LOCAL_BACKEND_KEYS = {"path"}
TOP_LEVEL = {"//", "terraform", "provider", "resource", "data", "ephemeral", "output", "locals", "variable",
             "import", "moved", "removed", "check"}
ALLOWED_FILES = {"cdk.tf.json", ".terraform.lock.hcl"}
RUNNER_FILE_FUNCTIONS = re.compile(
    r"\b(file|fileexists|fileset|filebase64|filebase64sha256|filebase64sha512|filemd5|filesha1|filesha256|"
    r"filesha512|templatefile|abspath|pathexpand)\s*\(")
FORBIDDEN_KEYS = {"provisioner", "connection"}


def strings(value, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key, path)
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def keys(value, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key
            yield from keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from keys(item, f"{path}[{index}]")


def blocks(value) -> list[dict]:
    """Terraform JSON allows a block as an object or a list of objects."""
    return value if isinstance(value, list) else [value]


def check_stack(stack: dict, *, state_bucket: str | None) -> Iterator[str]:
    for key in stack:
        if key not in TOP_LEVEL:
            yield f"top-level block {key!r} is not allowed (module and unknown blocks are refused)"
    terraform = stack.get("terraform", {})
    for name, requirement in terraform.get("required_providers", {}).items():
        source = requirement.get("source", name) if isinstance(requirement, dict) else name
        if source not in PROVIDER_SOURCES.get(name, set()):
            yield f"terraform.required_providers.{name}: provider {source!r} is not hashicorp/aws or hashicorp/random"
    for name, configurations in stack.get("provider", {}).items():
        if name not in PROVIDER_SOURCES:
            yield f"provider.{name}: only aws and random are allowed"
            continue
        for configuration in blocks(configurations):
            extra = set(configuration) - (AWS_PROVIDER_KEYS if name == "aws" else {"alias"})
            for key in sorted(extra):
                yield (f"provider.{name}.{key}: not allowed (endpoints, credentials, proxies and roles stay "
                       "out of plans)")
    yield from check_backend(terraform.get("backend", {}), state_bucket)
    for section, allowed in (("resource", None), ("ephemeral", EPHEMERAL_TYPES), ("data", DATA_SOURCES)):
        for type_name in stack.get(section, {}):
            if allowed is not None and type_name not in allowed:
                yield f"{section}.{type_name}: not in the allowlist of {section} types"
            elif allowed is None and not type_name.startswith(RESOURCE_PREFIXES):
                yield f"{section}.{type_name}: only aws_* and random_* resources are allowed"
    for check_name, check in stack.get("check", {}).items():
        for body in blocks(check):
            for type_name in body.get("data", {}):
                if type_name not in DATA_SOURCES:
                    yield f"check.{check_name}.data.{type_name}: not in the allowlist of data types"
    for path, key in keys(stack, "$"):
        if key in FORBIDDEN_KEYS:
            yield f"{path}: {key} blocks are not allowed (they run commands on the runner)"
    for path, text in strings(stack, "$"):
        match = RUNNER_FILE_FUNCTIONS.search(text)
        if match:
            yield f"{path}: {match.group(1)}() reads files of the runner; not allowed"


def check_backend(backend: dict, state_bucket: str | None) -> Iterator[str]:
    if set(backend) - {"s3", "local"} or len(backend) != 1:
        yield (f"terraform.backend: exactly one s3 (or the bootstrap's local) backend is allowed, "
               f"found {sorted(backend)}")
        return
    (kind, settings), = backend.items()
    allowed = S3_BACKEND_KEYS if kind == "s3" else LOCAL_BACKEND_KEYS
    for key in sorted(set(settings) - allowed):
        yield f"terraform.backend.{kind}.{key}: not allowed"
    if kind == "s3" and state_bucket is not None and settings.get("bucket") != state_bucket:
        yield f"terraform.backend.s3.bucket: {settings.get('bucket')!r} is not the project's state bucket"


def check_directory(outdir: Path, *, state_bucket: str | None) -> list[str]:
    stacks_dir = outdir / "stacks"
    findings = []
    if not stacks_dir.is_dir():
        return [f"{stacks_dir}: no stacks directory"]
    for path in sorted(stacks_dir.rglob("*")):
        shown = path.relative_to(outdir)
        if path.is_symlink():
            findings.append(f"{shown}: symlinks are not allowed")
        elif path.is_dir() and path.parent != stacks_dir:
            findings.append(f"{shown}: no directory may sit inside a stack directory")
        elif path.is_file() and (path.parent.parent != stacks_dir or path.name not in ALLOWED_FILES):
            findings.append(f"{shown}: only cdk.tf.json and .terraform.lock.hcl may be in a stack directory")
    for path in sorted(stacks_dir.glob("*/cdk.tf.json")):
        if path.is_symlink():
            continue
        shown = path.relative_to(outdir)
        try:
            stack = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            findings.append(f"{shown}: not readable JSON: {error}")
            continue
        findings += [f"{shown}: {finding}" for finding in check_stack(stack, state_bucket=state_bucket)]
    return findings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="the synthesized output (cdktf.out)")
    parser.add_argument("--state-bucket", help="the only S3 bucket a backend may name")
    args = parser.parse_args(argv)
    findings = check_directory(args.outdir, state_bucket=args.state_bucket)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(f"{len(findings)} finding(s): these stacks are not planned.", file=sys.stderr)
        return 1
    print(f"plan gate: {len(list((args.outdir / 'stacks').glob('*/cdk.tf.json')))} stacks pass")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
