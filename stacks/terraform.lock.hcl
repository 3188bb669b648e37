# hashicorp/aws as the stacks pin it, with the checksum of the linux_amd64 package (GitHub's runners).
# The workflows copy this file into every stack directory (from the base branch for pull
# requests) and run `terraform init -lockfile=readonly`: a provider whose package differs fails.
# Regenerate: terraform providers lock -platform=linux_amd64 [-fs-mirror=DIR] in a stack directory.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.100.0"
  constraints = "5.100.0"
  hashes = [
    "h1:edXOJWE4ORX8Fm+dpVpICzMZJat4AX0VRCAy/xkcOc0=",
  ]
}
