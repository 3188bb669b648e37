"""ARNs and names built from known values (account, region), without data sources.

The account id is fixed per project and enforced by the provider's allowed_account_ids, so
plans need no extra API calls and the synthesized JSON shows the real ARNs.
"""

from __future__ import annotations

from dataclasses import dataclass


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


@dataclass(frozen=True)
class AwsContext:
    account_id: str
    region: str

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    def arn(self, service: str, resource: str, *, region: str | None = None, account: bool = True) -> str:
        """arn:<partition>:<service>:<region>:<account>:<resource>; region '' for global services."""
        region_part = self.region if region is None else region
        account_part = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{region_part}:{account_part}:{resource}"

    def service_principal(self, service: str) -> str:
        return f"{service}.amazonaws.com"
