"""The commands that call AWS after a deploy: their arguments and what each does with its workspace.

main.py resolves `--workspace` and `--endpoint-url` (a loopback address only) before any of them
runs, so a refused input makes no AWS call; every AWS library is imported inside a command, so
`--help` and validation stay fast. No command prints a secret.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from environments.workspace import Workspace

EXIT_INVALID = 1
# Seconds each wait is bounded by, unless --timeout says otherwise.
DEFAULT_TIMEOUTS = {"redeploy": 1200, "smoke": 1200}


def _timeout_option(command: argparse.ArgumentParser, what: str, default: int) -> None:
    command.add_argument("--timeout", type=float, default=default, metavar="SECONDS",
                         help=f"how long to wait for {what} (default: %(default)s)")


def register(commands, aws_command: Callable[..., argparse.ArgumentParser],
             environments_option: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the commands to main.py's parser (`aws_command` adds --workspace, --endpoint-url, --environments)."""
    secret = aws_command(
        commands, "set-secret", workspace_help="workspace whose secret parameter is written",
        help="write one provided secret (e.g. openai_api_key) into SSM; the value comes from stdin",
    )
    secret.add_argument("name", metavar="NAME", help="secret name, e.g. openai_api_key or redis_password")
    secret.add_argument("--redeploy", action="store_true",
                        help="then force a new deployment and wait for it (tasks read secrets at start)")
    _timeout_option(secret, "the redeploy's rollout", DEFAULT_TIMEOUTS["redeploy"])

    redeploy = aws_command(commands, "redeploy", workspace_help="workspace whose ECS service restarts",
                            help="force a new deployment of the workspace's service and wait for its rollout")
    _timeout_option(redeploy, "the rollout", DEFAULT_TIMEOUTS["redeploy"])

    rotate = aws_command(commands, "rotate-secret", workspace_help="workspace whose secret is rotated",
                          help="write a new master key into SSM (never printed), then redeploy")
    rotate.add_argument("name", metavar="NAME", help="the generated secret to rotate: master_key")
    _timeout_option(rotate, "the redeploy's rollout", DEFAULT_TIMEOUTS["redeploy"])

    teardown = commands.add_parser("teardown-check",
                                   help="exit 1 unless destroy.yml may tear the workspace down (its file alone)")
    teardown.add_argument("--workspace", required=True, help="workspace to be torn down")
    environments_option(teardown)

    smoke = aws_command(commands, "smoke", workspace_help="workspace to check",
                         help="run the smoke checks inside the workspace as a one-off ECS task; exit 1 if one fails")
    _timeout_option(smoke, "the smoke task", DEFAULT_TIMEOUTS["smoke"])

    redis_auth = aws_command(commands, "redis-auth", workspace_help="workspace whose [redis] gets the token",
                              help="turn AUTH on for the workspace's managed Redis with the token in SSM (after apply)")
    redis_auth.add_argument("--check", action="store_true",
                            help="change nothing; exit 1 when AUTH is off (the drift check, with a read-only role)")


def _aws_failures() -> tuple[type[Exception], ...]:
    """What a command that calls AWS reports as a failure (exit 1, one message, no traceback)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from operations.ecs import OperationFailed

    return OperationFailed, BotoCoreError, ClientError


def _redeploy(workspace: Workspace, endpoint: str | None, timeout: float) -> int:
    from operations.ecs import redeploy, target

    service = target(workspace)
    print(f"{service.service}: forcing a new deployment; waiting up to {timeout:g} s for its rollout", flush=True)
    try:
        print(redeploy(service, timeout=timeout, endpoint_url=endpoint))
    except _aws_failures() as error:
        print(f"redeploy failed: {error}", file=sys.stderr)
        return EXIT_INVALID
    return 0


def set_secret(workspace: Workspace, endpoint: str | None, args: argparse.Namespace) -> int:
    from operations.secret_store import SecretRefused, read_value, target, write

    try:
        secret = target(workspace, args.name)
        value = read_value()
    except SecretRefused as error:
        print(f"set-secret refused: {error}", file=sys.stderr)
        return EXIT_INVALID
    version = write(secret, value, endpoint_url=endpoint)
    if not args.redeploy:
        print(f"{secret.parameter}: written (version {version}, key {secret.kms_key}); new tasks read it at start: "
              f"`python main.py redeploy --workspace {workspace.name}` applies it now")
        return 0
    print(f"{secret.parameter}: written (version {version}, key {secret.kms_key}); redeploying")
    return _redeploy(workspace, endpoint, args.timeout)


def redeploy(workspace: Workspace, endpoint: str | None, args: argparse.Namespace) -> int:
    return _redeploy(workspace, endpoint, args.timeout)


def rotate_secret(workspace: Workspace, endpoint: str | None, args: argparse.Namespace) -> int:
    from operations.rotation import new_master_key, target
    from operations.secret_store import SecretRefused, write

    try:
        secret = target(workspace, args.name)
    except SecretRefused as error:
        print(f"rotate-secret refused: {error}", file=sys.stderr)
        return EXIT_INVALID
    try:
        version = write(secret, new_master_key(), endpoint_url=endpoint)
    except _aws_failures() as error:
        print(f"rotate-secret failed, nothing was redeployed: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(f"{secret.parameter}: a new value is written (version {version}, key {secret.kms_key}); clients need it "
          "from SSM; redeploying so that every task uses it", flush=True)
    return _redeploy(workspace, endpoint, args.timeout)


def teardown_check(workspace: Workspace, args: argparse.Namespace) -> int:
    from operations.teardown import refusal

    refused = refusal(workspace)
    if refused:
        print(f"teardown refused: {refused}", file=sys.stderr)
        return EXIT_INVALID
    print(f"{workspace.name}: may be torn down (tier {workspace.settings.tier}, database not protected)")
    return 0


def smoke(workspace: Workspace, endpoint: str | None, args: argparse.Namespace) -> int:
    from operations.ecs import smoke

    print(f"{workspace.prefix}: running the smoke checks in a one-off task; waiting up to {args.timeout:g} s",
          flush=True)
    try:
        print(smoke(workspace, timeout=args.timeout, endpoint_url=endpoint))
    except _aws_failures() as error:
        print(f"smoke failed: {error}", file=sys.stderr)
        return EXIT_INVALID
    return 0


def redis_auth(workspace: Workspace, endpoint: str | None, args: argparse.Namespace) -> int:
    from operations.redis_auth import RedisAuthRefused, apply, is_on, target

    try:
        redis = target(workspace)
        if args.check:
            if is_on(redis, endpoint_url=endpoint):
                print(f"{redis.replication_group}: AUTH is on")
                return 0
            print(f"{redis.replication_group}: AUTH is off: no task starts until `main.py redis-auth --workspace "
                  f"{workspace.name}` turns it on", file=sys.stderr)
            return EXIT_INVALID
        print(apply(redis, endpoint_url=endpoint))
    except RedisAuthRefused as error:
        print(f"redis-auth refused: {error}", file=sys.stderr)
        return EXIT_INVALID
    return 0


# The commands main.py runs with the workspace and endpoint resolved.
WITH_AWS = {"set-secret": set_secret, "redeploy": redeploy, "rotate-secret": rotate_secret, "smoke": smoke,
            "redis-auth": redis_auth}
