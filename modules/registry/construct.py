"""ECR repositories shared by every workspace: immutable tags, scan on push, KMS, lifecycle."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from constructs import Construct

from environments.model import RegistrySettings


def lifecycle_policy(settings: RegistrySettings) -> str:
    return json.dumps({"rules": [
        {
            "rulePriority": 1,
            "description": f"Expire untagged images after {settings.untagged_image_days} days",
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                          "countNumber": settings.untagged_image_days},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"Keep the {settings.keep_tagged_images} newest tagged images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                          "countNumber": settings.keep_tagged_images},
            "action": {"type": "expire"},
        },
    ]})


class Registry(Construct):
    def __init__(self, scope: Construct, id_: str, *, project_name: str, settings: RegistrySettings) -> None:
        super().__init__(scope, id_)
        self.repositories: dict[str, EcrRepository] = {}
        for name in settings.repositories:
            repository = EcrRepository(
                self, f"{name}_repository", name=f"{project_name}/{name}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
                # AWS-managed key: pulls need no extra KMS permission in the execution roles.
                encryption_configuration=[EcrRepositoryEncryptionConfiguration(encryption_type="KMS")],
            )
            EcrLifecyclePolicy(self, f"{name}_lifecycle", repository=repository.name,
                               policy=lifecycle_policy(settings))
            self.repositories[name] = repository
