"""The `bump-scope` check: a pull request opened by the image-bump App changes nothing but the
LiteLLM image of one development workspace. The repository ruleset lets that App merge without a
review; this required check (which no ruleset bypass skips) is what limits that to image bumps.

    python3 -m delivery.bump_scope --repository DIR --base SHA --head SHA --author LOGIN --branch NAME
        [--app-login LOGIN]

Runs from main's checkout; the pull request's checkout (DIR) is read as data through git. Pull
requests of anyone else pass: they wait for a review. Standard library only. Exit 0 or 1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

BUMP_BRANCH_PREFIX = "image-bump/"
DEVELOPMENT = "development"
IMAGE = ("task", "litellm", "image")


class OutOfScope(ValueError):
    pass


def git(repository: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repository), *args], capture_output=True, text=True, check=True,
                          timeout=60).stdout


def without_image(settings: dict) -> tuple[dict, object]:
    """The settings with task.litellm.image taken out, and the image."""
    task = dict(settings.get("task", {}))
    litellm = dict(task.get("litellm", {}))
    image = litellm.pop(IMAGE[-1], None)
    task["litellm"] = litellm
    return {**settings, "task": task}, image


def check(repository: Path, base: str, head: str) -> str:
    """What the bump changes, or OutOfScope."""
    merge_base = git(repository, "merge-base", base, head).strip()
    changed = [path for path in git(repository, "diff", "--name-only", "--no-renames", "-z", merge_base, head)
               .split("\0") if path]
    if len(changed) != 1 or not changed[0].startswith("environments/") or not changed[0].endswith(".toml") \
            or changed[0].count("/") != 1 or changed[0] == "environments/project.toml":
        raise OutOfScope(f"an image bump changes one workspace file in environments/, this one changes {changed!r}")
    (path,) = changed
    try:
        before = tomllib.loads(git(repository, "show", f"{merge_base}:{path}"))
        after = tomllib.loads(git(repository, "show", f"{head}:{path}"))
    except (subprocess.CalledProcessError, tomllib.TOMLDecodeError) as error:
        raise OutOfScope(f"{path} is not a workspace file on both sides: {type(error).__name__}") from None
    if before.get("tier") != DEVELOPMENT:
        raise OutOfScope(f"{path} is a {before.get('tier')!r} workspace: only development bumps merge without review")
    (rest_before, image_before), (rest_after, image_after) = without_image(before), without_image(after)
    if rest_before != rest_after:
        raise OutOfScope(f"{path}: something besides task.litellm.image changed")
    if image_before == image_after:
        raise OutOfScope(f"{path}: task.litellm.image did not change")
    return f"{path}: task.litellm.image {image_before} -> {image_after}, nothing else"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bump_scope", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repository", type=Path, required=True, help="the pull request's checkout (data)")
    parser.add_argument("--base", required=True, help="the base branch's commit")
    parser.add_argument("--head", required=True, help="the pull request's head commit")
    parser.add_argument("--author", required=True, help="login of the pull request's author")
    parser.add_argument("--branch", required=True, help="the pull request's head branch")
    parser.add_argument("--app-login", default="", help="login of the image-bump App (<slug>[bot])")
    args = parser.parse_args(argv)
    bump = args.branch.startswith(BUMP_BRANCH_PREFIX) or (args.app_login and args.author == args.app_login)
    if not bump:
        print("bump-scope: not an image bump; it waits for a review like any change")
        return 0
    try:
        print(f"bump-scope: {check(args.repository, args.base, args.head)}")
    except (OutOfScope, subprocess.CalledProcessError) as error:
        print(f"bump-scope: refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
