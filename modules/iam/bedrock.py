"""What the task role needs to invoke the Bedrock models a workspace lists, and nothing more.

A model id is either a foundation model (`anthropic.claude-...`) invoked in the workspace's
region, or a cross-region inference profile (`eu.anthropic.claude-...`), which newer models
require: the call names the profile, and Bedrock routes it to the foundation model in one of the
profile's regions. AWS authorizes both the profile and the foundation model it routes to, so the
role gets the profile in its own region and the foundation model in any region, the latter only
when reached through that profile (bedrock:InferenceProfileArn).
"""

from __future__ import annotations

import re

from modules import policies
from modules.aws import AwsContext

ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
# Geography prefixes of system-defined cross-region inference profiles.
PROFILE_PREFIX = re.compile(r"^(us|eu|apac|jp|au|ca|us-gov|global)\.")


def invoke_statements(models: list[str], aws: AwsContext) -> list[policies.Statement]:
    foundation = [model for model in models if not PROFILE_PREFIX.match(model)]
    statements = []
    if foundation:
        statements.append(policies.allow(
            ACTIONS, [aws.arn("bedrock", f"foundation-model/{model}", account=False) for model in foundation],
            sid="InvokeListedModels",
        ))
    for index, profile in enumerate(model for model in models if PROFILE_PREFIX.match(model)):
        profile_arn = aws.arn("bedrock", f"inference-profile/{profile}")
        statements += [
            policies.allow(ACTIONS, profile_arn, sid=f"InvokeProfile{index}"),
            policies.allow(
                ACTIONS, aws.arn("bedrock", f"foundation-model/{PROFILE_PREFIX.sub('', profile)}", region="*",
                                 account=False),
                sid=f"ThroughProfile{index}", condition={"StringEquals": {"bedrock:InferenceProfileArn": profile_arn}},
            ),
        ]
    return statements
