"""Point synthesized stacks at a local AWS API (moto, LocalStack) without changing them.

Terraform merges `*_override.tf.json` files into a configuration. The override written here
sends the AWS provider and the S3 backend to one loopback endpoint with fake credentials and
path-style S3; the stack's own cdk.tf.json stays exactly what a real deploy gets. Only loopback
addresses are accepted: this must never send credentials or state anywhere else.

No cdktf import: tests and `main.py synth --endpoint-url` share it.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from urllib.parse import urlsplit

OVERRIDE_FILE = "local_endpoint_override.tf.json"
FAKE_CREDENTIALS = {"access_key": "local-endpoint", "secret_key": "local-endpoint"}
# Every AWS API the stacks call, by the provider's endpoint names.
PROVIDER_SERVICES = (
    "acm", "appautoscaling", "cloudwatch", "dynamodb", "ec2", "ecr", "ecs", "efs", "elasticache", "elbv2", "events",
    "iam", "kms", "logs", "rds", "route53", "s3", "secretsmanager", "sfn", "sns", "ssm", "sts", "wafv2",
)
BACKEND_SERVICES = ("s3", "dynamodb", "sts", "iam")


class EndpointError(ValueError):
    pass


def loopback_url(url: str, *, source: str = "--endpoint-url") -> str:
    """Return `url` if it is http(s)://<loopback host>:<port>, else raise EndpointError (naming
    `source`, where the URL came from)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in {"http", "https"} or not loopback or parts.port is None or parts.path not in {"", "/"}:
        raise EndpointError(
            f"{source} {url!r}: use http://127.0.0.1:<port> (a loopback address with a port, nothing else)"
        )
    return f"{parts.scheme}://{parts.netloc}"


def override(stack: dict, endpoint: str, *, local_state: str | None = None) -> dict:
    """The override document for one synthesized stack."""
    endpoint = loopback_url(endpoint)
    document: dict = {"provider": {"aws": [{
        **FAKE_CREDENTIALS,
        "endpoints": [{service: endpoint for service in PROVIDER_SERVICES}],
        "s3_use_path_style": True,
        "skip_credentials_validation": True,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
    }]}}
    backend = stack.get("terraform", {}).get("backend", {})
    if "s3" in backend:
        document["terraform"] = {"backend": {"s3": {
            **backend["s3"],
            **FAKE_CREDENTIALS,
            "endpoints": {service: endpoint for service in BACKEND_SERVICES},
            "use_path_style": True,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
        }}}
    elif "local" in backend:
        document["terraform"] = {"backend": {"local": {"path": local_state or "terraform.local-endpoint.tfstate"}}}
    return document


def write_overrides(outdir: Path, endpoint: str | None) -> list[Path]:
    """Write (endpoint given) or remove (None) the override beside every synthesized stack."""
    written = []
    for stack_file in sorted(outdir.glob("stacks/*/cdk.tf.json")):
        target = stack_file.parent / OVERRIDE_FILE
        if endpoint is None:
            target.unlink(missing_ok=True)
            continue
        target.write_text(json.dumps(override(json.loads(stack_file.read_text()), endpoint), indent=2) + "\n")
        written.append(target)
    return written
