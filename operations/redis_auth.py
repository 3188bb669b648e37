"""`main.py redis-auth`: give a workspace's ElastiCache the AUTH token its secrets stack generated.

The AWS provider has no write-only AUTH token argument, so a token set by Terraform would sit in
state. Instead the secrets stack generates the token into SSM (write-only, never in state) and
this command, run by the deploy job right after the workspace stack, reads it and turns AUTH on
with ModifyReplicationGroup (strategy ROTATE: the way to add a token to a group that has none).
Once the group has AUTH it does nothing, so every deploy may run it. The token is never printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from environments.secret_inputs import REDIS_AUTH_TOKEN
from environments.workspace import Workspace

# ElastiCache AUTH tokens: 16 to 128 printable ASCII characters, none of these.
TOKEN_LENGTH = (16, 128)
TOKEN_FORBIDDEN = frozenset(' "/@')


class RedisAuthRefused(ValueError):
    pass


@dataclass(frozen=True)
class RedisAuthTarget:
    replication_group: str
    parameter: str
    region: str


def target(workspace: Workspace) -> RedisAuthTarget:
    if workspace.settings.redis is None:
        raise RedisAuthRefused(f"{workspace.source.name}: workspace {workspace.name} creates no Redis "
                               "(no [redis] table); nothing to do")
    return RedisAuthTarget(replication_group=workspace.redis_group_id,
                           parameter=f"{workspace.ssm_path}/{REDIS_AUTH_TOKEN.parameter}",
                           region=workspace.settings.region)


def check_token(token: str) -> None:
    """Refuse a token ElastiCache would refuse, without repeating it."""
    low, high = TOKEN_LENGTH
    if not low <= len(token) <= high:
        raise RedisAuthRefused(f"the token in SSM has {len(token)} characters; ElastiCache takes {low} to {high}")
    if any(character in TOKEN_FORBIDDEN or not character.isprintable() or not character.isascii()
           for character in token):
        raise RedisAuthRefused("the token in SSM holds a character ElastiCache refuses (space, \", /, @ or a "
                               "non-printable one)")


def is_on(redis: RedisAuthTarget, *, endpoint_url: str | None = None) -> bool:
    """Whether the group requires AUTH (the drift check's question; the plan roles may ask it)."""
    import boto3  # only when calling AWS: validation stays fast

    elasticache = boto3.client("elasticache", region_name=redis.region, endpoint_url=endpoint_url)
    group = elasticache.describe_replication_groups(ReplicationGroupId=redis.replication_group)["ReplicationGroups"][0]
    return bool(group.get("AuthTokenEnabled"))


def apply(redis: RedisAuthTarget, *, endpoint_url: str | None = None) -> str:
    """Turn AUTH on with the token from SSM unless the group has it; returns what happened."""
    import boto3  # only when calling AWS: validation stays fast

    elasticache = boto3.client("elasticache", region_name=redis.region, endpoint_url=endpoint_url)
    groups = elasticache.describe_replication_groups(ReplicationGroupId=redis.replication_group)
    group = groups["ReplicationGroups"][0]
    if group.get("AuthTokenEnabled"):
        return f"{redis.replication_group}: AUTH is on already; nothing changed"
    if group["Status"] != "available":
        raise RedisAuthRefused(f"{redis.replication_group} is {group['Status']!r}; run this again once it is "
                               "'available'")
    ssm = boto3.client("ssm", region_name=redis.region, endpoint_url=endpoint_url)
    token = ssm.get_parameter(Name=redis.parameter, WithDecryption=True)["Parameter"]["Value"]
    check_token(token)
    elasticache.modify_replication_group(
        ReplicationGroupId=redis.replication_group, AuthToken=token, AuthTokenUpdateStrategy="ROTATE",
        ApplyImmediately=True,
    )
    return (f"{redis.replication_group}: AUTH turned on with the token in {redis.parameter}; tasks read it "
            "at start")
