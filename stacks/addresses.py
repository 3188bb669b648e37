"""Readable, stable resource addresses: `aws_lb.load_balancer_alb`, not `..._alb_3F2A19C4`.

cdktf names every nested element `<path>_<8 hex digits of the path's hash>`. The address is a
long-term contract (state addresses, plan output, the checkov allowlist), so this module renames
each element to its construct path without the hash, after synthesis, in one pass over the
JSON. (Overriding TerraformStack.allocateLogicalId gives the same names, but costs a Node ->
Python callback plus two RPCs per element: about a third of synthesis time.)

No cdktf import; a collision is an error, never a silent merge.
"""

from __future__ import annotations

import json
import re

BLOCKS = ("resource", "data")
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")
_HASHED = re.compile(r"_[0-9A-F]{8}$")


class AddressCollision(ValueError):
    pass


def readable_id(path: str) -> str:
    """The address of the element at construct path `stack/a/b` is `a_b`."""
    return _NOT_IDENTIFIER.sub("_", "_".join(path.split("/")[1:]))


def rename(document: dict) -> dict:
    renames: dict[str, str] = {}
    taken: dict[str, str] = {}
    for block in BLOCKS:
        for resource_type, elements in document.get(block, {}).items():
            for unique_id, body in elements.items():
                new = readable_id(body["//"]["metadata"]["path"])
                if new in taken:
                    raise AddressCollision(
                        f"{block} {resource_type}.{unique_id} and {taken[new]} would both be named {new}"
                    )
                taken[new] = f"{resource_type}.{unique_id}"
                if new != unique_id:
                    if not _HASHED.search(unique_id):
                        raise AddressCollision(f"{resource_type}.{unique_id} has no hash suffix to remove")
                    renames[unique_id] = new
    if not renames:
        return document
    # Hashed ids are unique tokens; renaming every occurrence renames keys, references,
    # depends_on entries and the metadata together.
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, renames)) + r")(?![A-Za-z0-9_])")
    return json.loads(pattern.sub(lambda match: renames[match.group(1)], json.dumps(document)))
