"""litellm-infra: typed environment files -> Terraform JSON for a LiteLLM + Ollama proxy on AWS.

    python main.py                       synthesize every stack into cdktf.out/
    python main.py synth [WORKSPACE...]  synthesize the shared stacks and the named workspaces
    python main.py validate [WORKSPACE_OR_FILE...]
                                         check environment files without synthesizing
    python main.py bump-image --workspace W --image REF [--commit SHA]
                                         set one workspace's LiteLLM image (CI image bumps)
    python main.py set-secret --workspace W NAME  < value
                                         write a provider API key (or external Redis password)
                                         into its SSM parameter; the value is read from stdin
    python main.py redis-auth --workspace W [--check]
                                         turn AUTH on for the workspace's ElastiCache with the
                                         token its secrets stack generated (deploy job); --check
                                         only tells, exit 1 when it is off (drift job)
    python main.py redeploy --workspace W [--timeout S]
                                         force a new deployment of the service; wait for its rollout
    python main.py rotate-secret --workspace W master_key
                                         a new master key in SSM, then a redeploy
    python main.py smoke --workspace W   health, readiness, models and a completion, checked inside the
                                         workspace by a one-off task of its own task definition
    python main.py teardown-check --workspace W
                                         exit 1 unless destroy.yml may destroy the workspace

Validation and image bumps never import cdktf or the provider bindings; synthesis validates
first and writes nothing when any file is invalid.

The official CLI (`npx cdktf-cli@0.21.0 deploy ...`, cdktf.json's app) runs `python main.py`:
set LITELLM_INFRA_ENDPOINT_URL=http://127.0.0.1:PORT to keep its stacks on a local AWS API.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from environments import retirements
from environments.loader import ENVIRONMENTS_DIR, Environments, load_environments
from environments.problems import InvalidEnvironment
from environments.workspace import Workspace
from operations import commands as operations_commands
from review import plan_review
from stacks import fingerprint
from stacks.endpoints import OVERRIDE_FILE, EndpointError, loopback_url, write_overrides

DEFAULT_OUTDIR = "cdktf.out"
# `synth --endpoint-url` for runs that cannot pass flags: the cdktf CLI runs cdktf.json's app as is.
ENDPOINT_VARIABLE = "LITELLM_INFRA_ENDPOINT_URL"
# Set by the cdktf CLI for the app it runs (its context); nobody else sets it.
CDKTF_CLI_VARIABLE = "CDKTF_CONTEXT_JSON"
# jsii's banner for a Node.js release past jsii's support: a comma-separated list of the major
# versions not to warn about, compared with the major version of the Node.js running the kernel
# ($JSII_NODE, else `node`).
NODE_END_OF_LIFE_VARIABLE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
README = Path(__file__).resolve().parent / "README.md"
DIAGRAMS_DIR = Path(__file__).resolve().parent / "docs" / "diagrams"
COST_FILE = Path(__file__).resolve().parent / "docs" / "cost.json"
EXIT_INVALID = 1


def _environments_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--environments", type=Path, default=ENVIRONMENTS_DIR, metavar="DIR",
        help="directory holding project.toml and the workspace files (default: %(default)s)",
    )


def _aws_command(commands, name: str, *, help: str, workspace_help: str) -> argparse.ArgumentParser:
    """A command that calls AWS for one workspace: what _workspace_and_endpoint reads."""
    command = commands.add_parser(name, help=help)
    command.add_argument("--workspace", required=True, help=workspace_help)
    command.add_argument("--endpoint-url", default=None, metavar="URL",
                         help="a local AWS API on a loopback address (moto, LocalStack) instead of AWS")
    _environments_option(command)
    return command


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    synth = commands.add_parser("synth", help="synthesize Terraform JSON (the default command)")
    synth.add_argument("workspaces", nargs="*", metavar="WORKSPACE",
                       help="workspaces to synthesize besides the shared stacks (default: all)")
    synth.add_argument("--outdir", default=None,
                       help=f"output directory (default: $CDKTF_OUTDIR or {DEFAULT_OUTDIR})")
    synth.add_argument("--endpoint-url", default=None, metavar="URL",
                       help="also write overrides that send every stack to a local AWS API on a loopback "
                            f"address (moto, LocalStack), e.g. http://127.0.0.1:5000 (or set ${ENDPOINT_VARIABLE}); "
                            "without either, such overrides are removed (refused when the cdktf CLI runs it)")
    synth.add_argument("--force", action="store_true",
                       help="synthesize even when the output directory holds the synthesis of these inputs")
    _environments_option(synth)

    validate = commands.add_parser("validate", help="check environment files; exit 1 on any problem")
    validate.add_argument("targets", nargs="*", metavar="WORKSPACE_OR_FILE",
                          help="workspace names or .toml paths (default: every shipped workspace)")
    _environments_option(validate)

    bump = commands.add_parser(
        "bump-image", help="set one workspace's LiteLLM image; every input is validated, only that line changes",
    )
    bump.add_argument("--workspace", required=True, help="workspace whose environment file changes")
    bump.add_argument("--image", required=True, help="image reference: repository:tag and/or @sha256:<digest>")
    bump.add_argument("--commit", help="application commit the image was built from (full SHA)")
    bump.add_argument("--message-file", type=Path, metavar="FILE", help="write a commit message for the change here")
    bump.add_argument("--github-output", type=Path, metavar="FILE",
                      help="append workspace, tier, region, changed and auto-merge here ($GITHUB_OUTPUT)")
    _environments_option(bump)

    operations_commands.register(commands, _aws_command, _environments_option)

    render = commands.add_parser("render-workflows", help="write .github/workflows from the workspace list")
    render.add_argument("--check", action="store_true", help="write nothing; exit 1 if a workflow is stale")
    _environments_option(render)

    draw = commands.add_parser("diagram", help="write docs/diagrams/<workspace>.md (Mermaid) from the synthesis")
    draw.add_argument("workspaces", nargs="*", metavar="WORKSPACE", help="workspaces to draw (default: all)")
    _environments_option(draw)

    price = commands.add_parser("cost", help="monthly cost per workspace from the synthesis and review/prices")
    price.add_argument("workspaces", nargs="*", metavar="WORKSPACE", help="workspaces (default: all)")
    price.add_argument("--json", action="store_true", help="print the data instead of the table")
    price.add_argument("--write", action="store_true", help="also write docs/cost.json and README's table")
    _environments_option(price)

    report = commands.add_parser(
        "plan-report", help="summarize `terraform show -json` plans as Markdown; --guard fails on destroyed state",
    )
    plan_review.add_arguments(report)

    args = parser.parse_args(argv or ["synth"])
    if args.command is None:  # only options were given: they belong to the default command
        args = parser.parse_args(["synth", *argv])
    return args


def load(selectors: list[str], directory: Path) -> Environments | None:
    try:
        return load_environments(selectors or None, directory=directory)
    except InvalidEnvironment as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.", file=sys.stderr)
        return None


def command_validate(args: argparse.Namespace) -> int:
    environments = load(args.targets, args.environments)
    if environments is None:
        return EXIT_INVALID
    print(f"valid: {', '.join(environments.names())}")
    for workspace in environments.workspaces:
        for provider, model, shutdown, source in retirements.upcoming(workspace.settings.providers, date.today()):
            print(f"note: {workspace.name}: providers.{provider} model {model} shuts down on "
                  f"{shutdown.isoformat()} ({source}); validation refuses it from that day")
    return 0


def silence_node_end_of_life() -> None:
    """Before the bindings start jsii's Node.js kernel: no end-of-life banner for the Node.js
    release that runs it (the banner goes to stderr, which the cdktf CLI prints as [ERROR] lines).
    A value already set is left alone; without a Node.js to ask, nothing is set."""
    if NODE_END_OF_LIFE_VARIABLE in os.environ:
        return
    try:
        version = subprocess.run([os.environ.get("JSII_NODE") or "node", "--version"], capture_output=True,
                                 text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return
    major = re.fullmatch(r"v(\d+)\.\S*\s*", version)
    if major:
        os.environ[NODE_END_OF_LIFE_VARIABLE] = major[1]


def synthesize_if_needed(environments: Environments, outdir: Path, *, force: bool = False) -> tuple[list[str], bool]:
    """The stacks in `outdir`, synthesized unless it already holds the synthesis of these inputs."""
    digest = fingerprint.inputs_digest(environments)
    if not force and fingerprint.is_current(outdir, digest):
        return sorted(json.loads((outdir / "manifest.json").read_text())["stacks"]), False
    silence_node_end_of_life()
    from stacks.publish import synthesize  # imports the provider bindings: only when synthesizing

    fingerprint.forget(outdir)
    stacks = synthesize(environments, outdir)
    fingerprint.record(outdir, digest)
    return stacks, True


def _synthesized(args: argparse.Namespace) -> tuple[Environments, Path] | None:
    """The selected environments and an output directory holding their synthesis (done if needed)."""
    environments = load(args.workspaces, args.environments)
    if environments is None:
        return None
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or DEFAULT_OUTDIR)
    synthesize_if_needed(environments, outdir)
    return environments, outdir


def command_diagram(args: argparse.Namespace) -> int:
    from review import diagram

    synthesized = _synthesized(args)
    if synthesized is None:
        return EXIT_INVALID
    environments, outdir = synthesized
    for path in diagram.write(outdir, environments.names(), DIAGRAMS_DIR):
        print(f"wrote {path.relative_to(Path(__file__).resolve().parent)}")
    if diagram.README_WORKSPACE in environments.names():
        diagram.embed(README, (DIAGRAMS_DIR / f"{diagram.README_WORKSPACE}.md").read_text())
        print(f"updated README.md ({diagram.README_WORKSPACE})")
    return 0


def command_cost(args: argparse.Namespace) -> int:
    from review import cost
    from review.synthesized import read_stack

    synthesized = _synthesized(args)
    if synthesized is None:
        return EXIT_INVALID
    environments, outdir = synthesized
    try:
        costs = {workspace.name: cost.workspace_cost(workspace, {
            name: read_stack(outdir, name) for name in (workspace.name, workspace.secrets_stack_id)})
            for workspace in environments.workspaces}
    except cost.UnknownPrice as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    regions = {workspace.name: workspace.settings.region for workspace in environments.workspaces}
    if args.write:
        COST_FILE.write_text(cost.as_json(costs))
        cost.embed(README, cost.table(costs, regions))
        print(f"wrote {COST_FILE.name} and README.md")
    print(cost.as_json(costs) if args.json else cost.table(costs, regions), end="")
    return 0


def synth_endpoint(flag: str | None) -> str | None:
    """The local endpoint a synthesis points the stacks at: --endpoint-url or $LITELLM_INFRA_ENDPOINT_URL
    (an empty variable is unset), loopback only; EndpointError when refused or when both disagree."""
    variable = os.environ.get(ENDPOINT_VARIABLE) or None
    endpoint = loopback_url(flag) if flag is not None else None
    from_variable = loopback_url(variable, source=ENDPOINT_VARIABLE) if variable is not None else None
    if endpoint and from_variable and endpoint != from_variable:
        raise EndpointError(f"--endpoint-url {endpoint} and {ENDPOINT_VARIABLE}={from_variable} disagree; give one")
    return endpoint or from_variable


def _override_endpoints(outdir: Path) -> list[str]:
    """The endpoints the local-endpoint overrides in `outdir` point at (what an earlier run wrote)."""
    found = set()
    for path in outdir.glob(f"stacks/*/{OVERRIDE_FILE}"):
        try:
            found.add(json.loads(path.read_text())["provider"]["aws"][0]["endpoints"][0]["s3"])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            found.add(f"? ({path} is unreadable)")
    return sorted(found)


def command_synth(args: argparse.Namespace) -> int:
    try:
        endpoint = synth_endpoint(args.endpoint_url)
    except EndpointError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    environments = load(args.workspaces, args.environments)
    if environments is None:
        return EXIT_INVALID
    outdir = Path(args.outdir or os.environ.get("CDKTF_OUTDIR") or DEFAULT_OUTDIR)
    previous = _override_endpoints(outdir)
    if endpoint is None and previous and CDKTF_CLI_VARIABLE in os.environ:
        # Removing them would send this deploy to AWS, keeping them to a local endpoint nobody named
        # this time: the CLI run stops before anything is written, and the user says which.
        print(f"refused: {outdir} holds {OVERRIDE_FILE} overrides that point every stack at {', '.join(previous)} "
              f"(written by an earlier run with --endpoint-url or {ENDPOINT_VARIABLE}), and the cdktf CLI ran "
              f"main.py without {ENDPOINT_VARIABLE}. To deploy there again, set {ENDPOINT_VARIABLE}={previous[0]}; "
              "to deploy to AWS, run `python main.py synth` first (it removes them). Nothing was written.",
              file=sys.stderr)
        return EXIT_INVALID
    stacks, synthesized = synthesize_if_needed(environments, outdir, force=args.force)
    if synthesized:
        print(f"synthesized {len(stacks)} stacks into {outdir}: {', '.join(stacks)}")
    else:
        print(f"unchanged: {outdir} holds the synthesis of these inputs: {', '.join(stacks)}")
    overrides = write_overrides(outdir, endpoint)
    if overrides:
        print(f"every stack points at {endpoint} ({OVERRIDE_FILE}); synthesize again without "
              f"--endpoint-url or {ENDPOINT_VARIABLE} before a real deploy")
    elif previous:
        print(f"removed the {OVERRIDE_FILE} overrides (they pointed at {', '.join(previous)}): "
              "the stacks deploy to AWS")
    return 0


def command_bump_image(args: argparse.Namespace) -> int:
    from delivery.bump import BumpRefused, bump_image

    try:
        result = bump_image(workspace=args.workspace, image=args.image, commit=args.commit,
                            directory=args.environments)
    except (BumpRefused, InvalidEnvironment) as error:
        print(f"bump-image refused: {error}", file=sys.stderr)
        return EXIT_INVALID
    if args.message_file and result.changed:
        args.message_file.write_text(result.commit_message())
    if args.github_output:
        with args.github_output.open("a") as outputs:
            outputs.write(result.outputs())
    if result.changed:
        print(f"{result.workspace}: task.litellm.image {result.previous} -> {result.image}")
    else:
        print(f"{result.workspace}: task.litellm.image is already {result.image}; nothing changed")
    return 0


def _workspace_and_endpoint(args: argparse.Namespace) -> tuple[Workspace, str | None] | None:
    """The one workspace and the optional loopback endpoint of a command that calls AWS; None
    (with the problem printed) when either is refused."""
    try:
        endpoint = loopback_url(args.endpoint_url) if args.endpoint_url is not None else None
    except EndpointError as error:
        print(error, file=sys.stderr)
        return None
    environments = load([args.workspace], args.environments)
    return None if environments is None else (environments.workspaces[0], endpoint)


















def command_render_workflows(args: argparse.Namespace) -> int:
    from delivery import workflows

    environments = load([], args.environments)
    if environments is None:
        return EXIT_INVALID
    if args.check:
        stale = workflows.stale(environments)
        for name in stale:
            print(f".github/workflows/{name} differs from its template: run python main.py render-workflows",
                  file=sys.stderr)
        return EXIT_INVALID if stale else 0
    for path in workflows.write(environments):
        print(f"wrote {path.relative_to(workflows.ROOT)}")
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    handlers = {"synth": command_synth, "validate": command_validate, "bump-image": command_bump_image,
                "teardown-check": command_teardown_check,
                "render-workflows": command_render_workflows, "plan-report": plan_review.run,
                "diagram": command_diagram, "cost": command_cost}
    if args.command in operations_commands.WITH_AWS:
        selected = _workspace_and_endpoint(args)
        return EXIT_INVALID if selected is None else operations_commands.WITH_AWS[args.command](*selected, args)
    return handlers[args.command](args)


def command_teardown_check(args: argparse.Namespace) -> int:
    environments = load([args.workspace], args.environments)
    if environments is None:
        return EXIT_INVALID
    return operations_commands.teardown_check(environments.workspaces[0], args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
