"""The project file (environments/project.toml): account, region, state backend, registry, GitHub."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from environments.model.base import Distinct, Name, Region, Strict, TagKey, TagValue, _image_repository

# --- the project file (environments/project.toml) ----------------------------------------

class StateSettings(Strict):
    bucket: str = Field(
        description="S3 bucket that holds every workspace's Terraform state (created by the "
        "bootstrap stack; globally unique, 3-63 lower-case characters).",
        pattern=r"^(?:[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$",
    )
    lock_table: str = Field(
        description="DynamoDB table for Terraform state locks (created by the bootstrap stack).",
        pattern=r"^(?:[A-Za-z0-9_.-]{3,255})$",
    )


class RegistrySettings(Strict):
    repositories: Annotated[list[Name], Distinct] = Field(
        default=["litellm", "ollama"],
        description="ECR repositories of the shared stack, created as <project>/<name>.",
    )
    keep_tagged_images: int = Field(
        default=30, ge=1, le=1000,
        description="Lifecycle policy: how many tagged images each repository keeps.",
    )
    untagged_image_days: int = Field(
        default=7, ge=1, le=365,
        description="Lifecycle policy: untagged images expire after this many days.",
    )


class GitHubSettings(Strict):
    repository: str = Field(
        description="owner/name of this repository; the deploy roles trust only its OIDC tokens.",
        pattern=r"^(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)$",
    )
    app_repository: str = Field(
        description="owner/name of the application repository that sends image bumps.",
        pattern=r"^(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)$",
    )


class Project(Strict):
    """Settings shared by every workspace."""

    name: Name = Field(
        description="Prefix of every resource name, SSM path and state key. Short: names such "
        "as the ALB's are limited to 32 characters.",
        max_length=12,
    )
    aws_account_id: str = Field(
        description="The AWS account every stack deploys to; the provider refuses any other "
        "account (allowed_account_ids), and ECR image URLs are built from it.",
        pattern=r"^(?:[0-9]{12})$",
    )
    region: Region = Field(
        description="Region of the shared resources: state bucket, lock table, ECR repositories."
    )
    allowed_image_repositories: Annotated[list[Annotated[str, AfterValidator(_image_repository)]], Distinct] = Field(
        min_length=1,
        description="Image repositories (registry included) that task images may come from. "
        "`bump-image` and the workspace files accept images from these repositories only.",
    )
    tags: dict[TagKey, TagValue] = Field(
        default={}, description="Tags on every resource of every stack (provider default_tags)."
    )
    state: StateSettings = Field(description="Terraform state backend (bootstrap stack).")
    registry: RegistrySettings = Field(
        default=RegistrySettings(), description="Container registry (shared stack)."
    )
    github: GitHubSettings = Field(description="GitHub repositories for OIDC and image bumps.")

    def ecr_repository_url(self, repository: str) -> str:
        return f"{self.aws_account_id}.dkr.ecr.{self.region}.amazonaws.com/{self.name}/{repository}"
