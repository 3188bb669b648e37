"""moto in server mode on 127.0.0.1, on a port of its own, for Terraform to talk to.

Two gaps of moto 5.2.5 are filled in this process (the one running the server), each by
storing what a call receives and returning it, the way AWS does - nothing is validated or
invented:

- Application Auto Scaling has no TagResource, UntagResource or ListTagsForResource, and
  RegisterScalableTarget drops its Tags; hashicorp/aws retries the missing calls until it times
  out (every scalable target is tagged through default_tags).
- ECS CreateService drops capacityProviderStrategy, healthCheckGracePeriodSeconds,
  enableECSManagedTags and availabilityZoneRebalancing and reports launchType EC2; the provider
  then plans to replace the service on every run.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

LOOPBACK = "127.0.0.1"


def teach_autoscaling_tags() -> None:
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    if getattr(ApplicationAutoScalingResponse, "_litellm_infra_tags", False):
        return
    tags_by_arn: dict[str, dict[str, str]] = {}

    def tag_resource(self) -> str:
        tags_by_arn.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self) -> str:
        tags = tags_by_arn.setdefault(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    def list_tags_for_resource(self) -> str:
        return json.dumps({"Tags": tags_by_arn.get(self._get_param("ResourceARN"), {})})

    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self) -> str:
        response = register(self)
        arn = json.loads(response)["ScalableTargetARN"]
        tags_by_arn.setdefault(arn, {}).update(self._get_param("Tags") or {})
        return response

    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse._litellm_infra_tags = True


# CreateService parameter -> attribute of moto's Service, which the response serializer reads.
ECS_SERVICE_SETTINGS = {
    "capacityProviderStrategy": "capacity_provider_strategy",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
}


def teach_ecs_service_settings() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    if getattr(EC2ContainerServiceResponse, "_litellm_infra_settings", False):
        return
    create = EC2ContainerServiceResponse.create_service

    def create_service(self):
        result = create(self)
        service = result.result["service"]
        for parameter, attribute in ECS_SERVICE_SETTINGS.items():
            value = self._get_param(parameter)
            if value is not None:
                setattr(service, attribute, value)
        if self._get_param("capacityProviderStrategy") and not self._get_param("launchType"):
            service.launch_type = None  # AWS reports no launch type for capacity-provider services
        return result

    EC2ContainerServiceResponse.create_service = create_service
    EC2ContainerServiceResponse._litellm_infra_settings = True


@contextmanager
def moto_server() -> Iterator[str]:
    """Run moto on 127.0.0.1 and a free port; yield its URL; stop it afterwards."""
    # AWS managed policies (AmazonRDSEnhancedMonitoringRole) must exist for attachments to work.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from moto.server import ThreadedMotoServer

    teach_autoscaling_tags()
    teach_ecs_service_settings()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        assert host == LOOPBACK, host
        yield f"http://{LOOPBACK}:{port}"
    finally:
        server.stop()
