"""A workspace's own DNS name: an ACM certificate validated through Route 53, and the alias
records that point the name at the load balancer (or at the CDN in front of it)."""

from __future__ import annotations

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from constructs import Construct

from environments.model import Domain

VALIDATION_RECORD_TTL = 300


class Certificate(Construct):
    """The certificate of `domain`, usable once `arn` resolves: it is the validation's, so a
    listener that uses it waits until ACM has issued the certificate."""

    def __init__(self, scope: Construct, id_: str, *, domain: Domain) -> None:
        super().__init__(scope, id_)
        certificate = AcmCertificate(
            self, "certificate", domain_name=domain.name, validation_method="DNS",
            # A replaced certificate must exist before the listener lets go of the old one.
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # One name, so one validation record (ACM gives a set; its only element).
        option = certificate.domain_validation_options.get(0)
        record = Route53Record(
            self, "validation_record", zone_id=domain.hosted_zone_id, name=option.resource_record_name,
            type=option.resource_record_type, records=[option.resource_record_value], ttl=VALIDATION_RECORD_TTL,
            allow_overwrite=True,  # ACM reuses the same record when the certificate is replaced
        )
        # ACM validates every certificate of this name in the account (any region) with this same record.
        self.validation_record_fqdn = record.fqdn
        self.arn = AcmCertificateValidation(
            self, "validation", certificate_arn=certificate.arn, validation_record_fqdns=[record.fqdn],
        ).certificate_arn


def alias_records(scope: Construct, id_: str, *, domain: Domain, target_dns_name: str, target_zone_id: str,
                  cdn: bool) -> None:
    """`domain.name` -> the load balancer, or the CDN (A and AAAA: CloudFront serves IPv6). An alias has no
    TTL and follows the target's addresses; Route 53 checks an ALB's health, not a distribution's."""
    for record_type in ("A", "AAAA") if cdn else ("A",):
        suffix = "" if record_type == "A" else "_ipv6"
        Route53Record(
            scope, f"{id_}{suffix}", zone_id=domain.hosted_zone_id, name=domain.name, type=record_type,
            alias=Route53RecordAlias(name=target_dns_name, zone_id=target_zone_id, evaluate_target_health=not cdn),
        )
