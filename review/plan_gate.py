"""The plan gate: what a pull request's synthesized stacks may make `terraform plan` do, and the only
thing the plan jobs plan.

    python .ci/plan_gate.py SRC [--out DEST] [--project FILE] [--state-bucket NAME]

CI runs it from main's checkout (never the pull request's), before any job holds credentials.
`terraform plan` executes what the JSON says with the plan role's session in its environment, so
the gate reads each stack as an attacker's input:

- strictly: UTF-8 without a byte-order mark, one JSON object, no duplicate key at any depth
  (Terraform keeps both where Python's json keeps the last), no NaN or infinity, no lone surrogate;
- against an allowlist at every level: top-level blocks, `terraform` settings, the one provider
  (hashicorp/aws, region/alias/account/default tags only), resource meta-arguments and lifecycle,
  data sources by type, outputs; each block in the object or the list form Terraform accepts;
- every string (keys too) as the HCL template Terraform reads, calling only pure functions
  (no file reads, no templatestring, nothing that unmarks a sensitive value, no provider functions).

With `--out` the gate then writes what it checked, re-serialized, for the stacks main plans (the
project's `shared` and workspace stacks; secrets stacks, bootstrap and anything else are ignored),
with the S3 backend rebuilt from main's project file and main's provider lock file beside each:
the plan jobs plan DEST and nothing else. It writes everything or nothing.
Exit 0 when every stack passes; 1 with one line per finding otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import stat
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from review.hcl_templates import TemplateError, called_functions

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILE = ROOT / "environments" / "project.toml"
LOCK_FILE = ROOT / "stacks" / "terraform.lock.hcl"
STACK_FILE = "cdk.tf.json"
LOCK_FILE_NAME = ".terraform.lock.hcl"
SHARED = "shared"
MAX_STACK_BYTES = 32 * 1024 * 1024
# Shown of an untrusted name in a finding: enough to find it, never a page of the attacker's text.
SHOWN = 60

COMMENT = "//"
TOP_LEVEL = {COMMENT, "terraform", "provider", "resource", "data", "output"}
TERRAFORM_SETTINGS = {"required_version", "required_providers", "backend"}
AWS_SOURCES = {"aws", "hashicorp/aws", "registry.terraform.io/hashicorp/aws"}
PROVIDER_ARGUMENTS = {"region", "alias", "allowed_account_ids", "default_tags"}
# Data sources that describe AWS's own catalogue: no invocation, no decryption, no account data.
DATA_SOURCES = {
    "aws_elb_service_account", "aws_ec2_managed_prefix_list", "aws_cloudfront_cache_policy",
    "aws_cloudfront_origin_request_policy", "aws_cloudfront_response_headers_policy",
}
LIFECYCLE = {"create_before_destroy", "prevent_destroy", "ignore_changes"}
OUTPUT_ARGUMENTS = {"value", "description", "sensitive"}
# Blocks that run commands on the runner, anywhere in a body.
COMMAND_BLOCKS = {"provisioner", "connection"}
# Pure functions: nothing that reads the runner (file*, templatefile, templatestring, abspath, pathexpand), comes
# from a provider or unmarks a secret: nonsensitive; can, whose result Terraform 1.11 leaves unmarked (regex in it).
FUNCTIONS = frozenset({
    "abs", "alltrue", "anytrue", "base64decode", "base64encode", "base64sha256", "base64sha512", "ceil", "chomp",
    "chunklist", "cidrhost", "cidrnetmask", "cidrsubnet", "cidrsubnets", "coalesce", "coalescelist", "compact",
    "concat", "contains", "csvdecode", "distinct", "element", "endswith", "flatten", "floor", "format", "formatlist",
    "index", "indent", "join", "jsondecode", "jsonencode", "keys", "length", "log", "lookup", "lower", "matchkeys",
    "max", "md5", "merge", "min", "one", "parseint", "pow", "range", "regex", "regexall", "replace", "reverse",
    "setintersection", "setproduct", "setsubtract", "setunion", "sensitive", "sha1", "sha256", "sha512", "signum",
    "slice", "sort", "split", "startswith", "strcontains", "strrev", "substr", "sum", "title", "tobool", "tolist",
    "tomap", "tonumber", "toset", "tostring", "transpose", "trim", "trimprefix", "trimspace", "trimsuffix", "try",
    "upper", "urlencode", "values", "yamldecode", "yamlencode", "zipmap",
})
RESOURCE_TYPE = re.compile(r"^aws_[a-z0-9_]+$")
BLOCK_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_-]*$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")


class Finding(Exception):
    """One reason a stack is refused."""


def shown(text: object) -> str:
    """An untrusted value as a finding names it: escaped (no newline, no workflow command), cut short."""
    text = ascii(text)
    return text if len(text) <= SHOWN else text[:SHOWN] + "...'"


@dataclass(frozen=True)
class Project:
    """What main's project file says about planning: the backend and the stacks main plans."""

    name: str
    account_id: str
    region: str
    bucket: str
    lock_table: str
    workspaces: tuple[str, ...]

    @property
    def planned_stacks(self) -> tuple[str, ...]:
        return (SHARED, *self.workspaces)

    def backend(self, stack: str) -> dict:
        """The S3 backend of a planned stack, as stacks/backend.py writes it."""
        partition = "aws-cn" if self.region.startswith("cn-") else (
            "aws-us-gov" if self.region.startswith("us-gov-") else "aws")
        return {"s3": {
            "bucket": self.bucket,
            "dynamodb_table": self.lock_table,
            "encrypt": True,
            "key": f"{self.name}/{stack}/terraform.tfstate",
            "kms_key_id": f"arn:{partition}:kms:{self.region}:{self.account_id}:alias/{self.name}-state-{stack}",
            "region": self.region,
        }}


def load_project(path: Path, state_bucket: str | None = None) -> Project:
    """Main's project file and the workspace files beside it (trusted: main's checkout)."""
    settings = tomllib.loads(path.read_text())
    workspaces = tuple(sorted(file.stem for file in path.parent.glob("*.toml") if file.name != path.name))
    return Project(name=settings["name"], account_id=settings["aws_account_id"], region=settings["region"],
                   bucket=state_bucket or settings["state"]["bucket"], lock_table=settings["state"]["lock_table"],
                   workspaces=workspaces)


# --- Reading: strict JSON -----------------------------------------------------------------------

def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    found: dict = {}
    for key, value in pairs:
        if key in found:
            raise Finding(f"duplicate key {shown(key)} in one object (Terraform reads both; Python's json the last)")
        found[key] = value
    return found


def _no_constant(name: str) -> float:
    raise Finding(f"{name} is not JSON (Python's json accepts it, Terraform does not)")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise Finding(f"number {shown(text)} is out of range")
    return number


def parse(data: bytes) -> dict:
    """The stack's JSON, read as strictly as Terraform and Python can agree on."""
    if len(data) > MAX_STACK_BYTES:
        raise Finding(f"{len(data)} bytes; a stack may have at most {MAX_STACK_BYTES}")
    if data.startswith(b"\xef\xbb\xbf"):
        raise Finding("starts with a byte-order mark")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as error:
        raise Finding(f"not UTF-8 (byte {error.start})") from None
    try:
        stack = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise Finding("nested too deeply") from None
    except ValueError as error:
        if isinstance(error, Finding):
            raise
        raise Finding(f"not JSON: {shown(str(error))}") from None
    if not isinstance(stack, dict):
        raise Finding(f"the document is a JSON {type(stack).__name__}, not an object")
    return stack


# --- Checking: the allowlist at every level ------------------------------------------------------

def objects(value: object, path: str) -> Iterator[tuple[dict, str]]:
    """A block's value in either form Terraform's JSON syntax accepts: an object, or a list of objects."""
    if isinstance(value, dict):
        yield value, path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise Finding(f"{path}[{index}]: a {type(item).__name__} where a block (object) belongs")
            yield item, f"{path}[{index}]"
    else:
        raise Finding(f"{path}: a {type(value).__name__} where a block (object or list of objects) belongs")


def blocks(value: object, labels: int, path: str) -> Iterator[tuple[tuple[str, ...], dict, str]]:
    """Every block of a block type with `labels` labels: (labels, body, path), whatever the form."""
    for body, where in objects(value, path):
        if labels == 0:
            yield (), body, where
            continue
        for label, inner in body.items():
            if not BLOCK_NAME.fullmatch(label):
                raise Finding(f"{where}: block label {shown(label)} is not a name")
            for rest, block, place in blocks(inner, labels - 1, f"{where}.{label}"):
                yield (label, *rest), block, place


def unique(found: Iterator[tuple[tuple[str, ...], dict, str]], what: str) -> dict[tuple[str, ...], dict]:
    merged: dict[tuple[str, ...], dict] = {}
    for labels, body, path in found:
        if labels in merged:
            raise Finding(f"{path}: a second {what} {'.'.join(labels)}")
        merged[labels] = body
    return merged


def strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string of a JSON value, keys included, with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, key
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def check_expressions(value: object, path: str) -> None:
    """Every string as the template Terraform reads: pure functions only, no command blocks."""
    for where, text in strings(value, path):
        if any(0xD800 <= ord(character) <= 0xDFFF for character in text):
            raise Finding(f"{where}: a lone surrogate in a string")
        try:
            calls = called_functions(text)
        except TemplateError as error:
            raise Finding(f"{where}: {error}") from None
        refused = sorted(calls - FUNCTIONS)
        if refused:
            raise Finding(f"{where}: calls {', '.join(shown(name) for name in refused)}: only pure functions "
                          "(no file reads, templatestring, can, nonsensitive or provider functions)")
    for where, key in keys(value, path):
        if key in COMMAND_BLOCKS:
            raise Finding(f"{where}: {key} blocks run commands on the runner")


def keys(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key
            yield from keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from keys(item, f"{path}[{index}]")


def only(body: dict, allowed: set[str], path: str) -> None:
    extra = sorted(set(body) - allowed)
    if extra:
        raise Finding(f"{path}: {', '.join(shown(key) for key in extra)} not allowed here "
                      f"(allowed: {', '.join(sorted(allowed))})")


def literal(value: object, pattern: re.Pattern, path: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Finding(f"{path}: {shown(value)} is not a plain value of the expected form")
    return value


def check_terraform(stack: dict, project: Project, name: str) -> dict:
    (settings,) = unique(blocks(stack.get("terraform", {}), 0, "terraform"), "terraform block").values() or [{}]
    only(settings, TERRAFORM_SETTINGS, "terraform")
    (providers,) = unique(blocks(settings.get("required_providers", {}), 0, "terraform.required_providers"),
                          "required_providers block").values() or [{}]
    only(providers, {"aws"}, "terraform.required_providers")
    aws = providers.get("aws")
    if not isinstance(aws, dict) or set(aws) != {"source", "version"} or aws["source"] not in AWS_SOURCES \
            or not isinstance(aws["version"], str):
        raise Finding(f"terraform.required_providers.aws: {shown(aws)} is not hashicorp/aws with a version")
    backend = project.backend(name)
    if settings.get("backend") != backend:
        raise Finding("terraform.backend: not main's backend for this stack (the project's state bucket, "
                      "this stack's key, state key and lock table); the gate plans with main's only")
    required = settings.get("required_version")
    if not isinstance(required, str):
        raise Finding("terraform.required_version: missing or not a string")
    check_expressions(required, "terraform.required_version")
    return {"required_version": required, "required_providers": {"aws": dict(aws)}, "backend": backend}


def check_providers(stack: dict, project: Project) -> tuple[list[dict], set[str]]:
    configurations, aliases = [], set()
    for (provider,), body, path in blocks(stack.get("provider", {}), 1, "provider"):
        if provider != "aws":
            raise Finding(f"{path}: provider {shown(provider)}: only aws")
        only(body, PROVIDER_ARGUMENTS, path)
        configuration: dict = {"region": literal(body.get("region"), REGION, f"{path}.region")}
        if body.get("allowed_account_ids") != [project.account_id]:
            raise Finding(f"{path}.allowed_account_ids: must be exactly the project's account")
        configuration["allowed_account_ids"] = [project.account_id]
        alias = literal(body["alias"], BLOCK_NAME, f"{path}.alias") if "alias" in body else None
        if alias in aliases:
            raise Finding(f"{path}: a second aws provider {'with alias ' + alias if alias else 'without alias'}")
        aliases.add(alias)
        if alias:
            configuration["alias"] = alias
        if "default_tags" in body:
            configuration["default_tags"] = [default_tags(body["default_tags"], f"{path}.default_tags")]
        configurations.append(configuration)
    if None not in aliases:
        raise Finding("provider: no default aws provider")
    return configurations, {f"aws.{alias}" if alias else "aws" for alias in aliases}


def default_tags(value: object, path: str) -> dict:
    (body,) = unique(blocks(value, 0, path), "default_tags block").values()
    only(body, {"tags"}, path)
    tags = body.get("tags")
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise Finding(f"{path}.tags: tag keys and values must be strings")
    check_expressions(tags, f"{path}.tags")
    return {"tags": dict(tags)}


def body_of(block: dict, path: str, providers: set[str], *, data: bool) -> dict:
    """A resource or data body without cdktf's comments; its meta-arguments checked (the rest are the
    provider's arguments, which Terraform itself checks against the provider's schema)."""
    body = {key: value for key, value in block.items() if key != COMMENT}
    if "provider" in body and body["provider"] not in providers:
        raise Finding(f"{path}.provider: {shown(body['provider'])} is not a provider of this stack")
    if "lifecycle" in body:
        if data:  # pre- and postconditions would print what they read
            raise Finding(f"{path}.lifecycle: not allowed on a data source")
        for lifecycle, where in objects(body["lifecycle"], f"{path}.lifecycle"):
            only(lifecycle, LIFECYCLE, where)
    check_expressions(body, path)
    return body


def check_stack(stack: dict, project: Project, name: str) -> dict:
    """The stack as the gate writes it, or a Finding."""
    only(stack, TOP_LEVEL, "the top level (modules, imports, checks, variables and the rest are refused)")
    clean: dict = {"terraform": check_terraform(stack, project, name)}
    configurations, providers = check_providers(stack, project)
    clean["provider"] = {"aws": configurations}
    for section in ("resource", "data"):
        found = unique(blocks(stack.get(section, {}), 2, section), section)
        written: dict = {}
        for (kind, block_name), block in found.items():
            path = f"{section}.{kind}.{block_name}"
            if section == "resource" and not RESOURCE_TYPE.fullmatch(kind):
                raise Finding(f"{path}: only hashicorp/aws resources (aws_*)")
            if section == "data" and kind not in DATA_SOURCES:
                raise Finding(f"{path}: data source {shown(kind)} is not in the allowlist of data sources")
            written.setdefault(kind, {})[block_name] = body_of(block, path, providers, data=section == "data")
        if written:
            clean[section] = written
    outputs = {}
    for (output,), body, path in unique_outputs(stack):
        only(body, OUTPUT_ARGUMENTS, path)
        check_expressions(body, path)
        outputs[output] = body
    if outputs:
        clean["output"] = outputs
    return clean


def unique_outputs(stack: dict) -> Iterator[tuple[tuple[str, ...], dict, str]]:
    seen = unique(blocks(stack.get("output", {}), 1, "output"), "output")
    for labels, body in seen.items():
        yield labels, body, f"output.{labels[0]}"


# --- The directory: read what main plans, write it all or nothing --------------------------------

def read_stack(source: Path, name: str) -> bytes:
    """The bytes of SRC/stacks/NAME/cdk.tf.json, refusing symlinks and anything but regular files."""
    path = source
    for part in ("stacks", name, STACK_FILE):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            raise Finding("missing (main plans this stack)") from None
        if stat.S_ISLNK(mode):
            raise Finding(f"{part} is a symlink")
        if part == STACK_FILE and not stat.S_ISREG(mode):
            raise Finding(f"{part} is not a regular file")
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as file:
        return file.read(MAX_STACK_BYTES + 1)


def gate(source: Path, project: Project) -> tuple[dict[str, dict], list[str]]:
    """(checked stacks by name, findings): every stack main plans, checked."""
    checked, findings = {}, []
    for name in project.planned_stacks:
        shown_path = f"stacks/{name}/{STACK_FILE}"
        try:
            checked[name] = check_stack(parse(read_stack(source, name)), project, name)
        except Finding as finding:
            findings.append(f"{shown_path}: {finding}")
    return checked, findings


def write(checked: dict[str, dict], destination: Path, lock_file: Path) -> None:
    """DEST/stacks/<name>/{cdk.tf.json,.terraform.lock.hcl}, published only when complete."""
    scratch = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    try:
        for name, stack in checked.items():
            directory = scratch / "stacks" / name
            directory.mkdir(parents=True)
            (directory / STACK_FILE).write_text(json.dumps(stack, indent=1, sort_keys=True, allow_nan=False) + "\n")
            shutil.copyfile(lock_file, directory / LOCK_FILE_NAME)
        scratch.rename(destination)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="plan_gate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, metavar="SRC", help="the pull request's synthesis (cdktf.out)")
    parser.add_argument("--out", type=Path, metavar="DEST", help="write the checked stacks here (must not exist)")
    parser.add_argument("--project", type=Path, default=PROJECT_FILE, metavar="FILE",
                        help="main's project.toml: the backend and the stacks main plans (default: %(default)s)")
    parser.add_argument("--state-bucket", metavar="NAME", help="the state bucket (default: the project file's)")
    parser.add_argument("--lock-file", type=Path, default=LOCK_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        project = load_project(args.project, args.state_bucket)
        if args.out is not None and os.path.lexists(args.out):
            findings = [f"{args.out}: exists already; the gate writes a new directory"]
        else:
            checked, findings = gate(args.source, project)
            if not findings and args.out is not None:
                write(checked, args.out, args.lock_file)
    except Exception as error:  # fail closed, one line, never a traceback
        findings = [f"plan gate: could not check {args.source}: {type(error).__name__}: {shown(str(error))}"]
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        print(f"{len(findings)} finding(s): nothing is planned.", file=sys.stderr)
        return 1
    written = f"; written to {args.out}" if args.out is not None else ""
    print(f"plan gate: {len(project.planned_stacks)} stacks pass ({', '.join(project.planned_stacks)}){written}")
    return 0


if __name__ == "__main__":  # `python -m review.plan_gate` runs the gate, as .ci/plan_gate.py does
    sys.exit(main(sys.argv[1:]))
