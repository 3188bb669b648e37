"""AWS limits the environment model enforces, kept as plain data.

Each table is cross-checked against the API documentation that ships in botocore's service
models (tests/test_limits_match_botocore.py), so a change on AWS's side shows up as a failing
test rather than as a failed deploy.
"""

from __future__ import annotations


def _steps(first: int, last: int, step: int) -> frozenset[int]:
    return frozenset(range(first, last + 1, step))


# Fargate task sizes: task CPU units -> the task memory values (MiB) allowed with it.
FARGATE_TASK_MEMORY: dict[int, frozenset[int]] = {
    256: frozenset({512, 1024, 2048}),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}

# CloudWatch Logs PutRetentionPolicy: the only retention values the API accepts.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)

# ECS container health check bounds (seconds, retries), HealthCheck shape.
HEALTH_CHECK_INTERVAL = (5, 300)
HEALTH_CHECK_TIMEOUT = (2, 60)
HEALTH_CHECK_RETRIES = (1, 10)
HEALTH_CHECK_START_PERIOD = (0, 300)

# ContainerDefinition.startTimeout on Fargate. The ECS agent reads it from the container that
# is depended on: litellm's dependsOn ollama HEALTHY gives up this long after ollama started.
FARGATE_START_TIMEOUT = (2, 120)
FARGATE_STOP_TIMEOUT = (2, 120)

# EphemeralStorage.sizeInGiB; Fargate gives 20 GiB when the task does not ask for more.
FARGATE_EPHEMERAL_STORAGE_GIB = (21, 200)
FARGATE_DEFAULT_EPHEMERAL_STORAGE_GIB = 20

# Ollama memory budget. KV cache per token of context (fp16): 2 (K and V) × layers × KV heads ×
# head size × 2 bytes, from each model's published architecture (llama 3.2 3B: 28 × 8 × 128;
# 1B: 16 × 8 × 64).
OLLAMA_KV_CACHE_KIB_PER_TOKEN: dict[str, int] = {
    "llama3.2:3b": 112,
    "llama3.2:1b": 32,
}
# The runner's compute buffers and process beside weights and cache (MiB), and the share of the
# container kept free: the kernel kills the whole task when the container reaches its limit.
OLLAMA_RUNTIME_MIB = 400
OLLAMA_MEMORY_HEADROOM = 0.20

# Application Load Balancer idle timeout and target group deregistration delay (seconds).
ALB_IDLE_TIMEOUT = (1, 4000)
ALB_DEREGISTRATION_DELAY = (0, 3600)

# RDS backup retention (days) and gp3 storage for PostgreSQL (GiB).
RDS_BACKUP_RETENTION_DAYS = (0, 35)
RDS_GP3_STORAGE_GIB = (20, 65536)
# Secrets Manager rotation schedule (RotationRules.AutomaticallyAfterDays, botocore: 1 to 1000 days).
SECRET_ROTATION_DAYS = (1, 1000)

# AWS VPC and subnet CIDR sizes: prefix lengths /16 to /28.
VPC_PREFIX_LENGTH = (16, 28)

# Tags, as every tagging API here documents them (botocore: ecs, elbv2, wafv2, cloudfront, ssm, logs):
# letters, separators and numbers of any script, and this punctuation.
TAG_KEY_LENGTH = (1, 128)
TAG_VALUE_MAX_LENGTH = 256
TAG_PUNCTUATION = "_.:/=+-@"

# WAFv2 rate-based rule limit per evaluation window (requests per IP).
WAF_RATE_LIMIT = (10, 2_000_000_000)
# CloudFront's origin response timeout: 1-60 s by default, up to 180 s with a raised quota.
CLOUDFRONT_READ_TIMEOUT = (1, 180)
CLOUDFRONT_READ_TIMEOUT_DEFAULT_MAX = 60

# RDS for PostgreSQL sets max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000). Memory
# (GiB) of the instance classes whose max_connections the model derives; any other class needs
# database.max_connections written out. DBInstanceClassMemory is this less what RDS keeps for
# itself, which RDS_CONNECTION_HEADROOM absorbs.
RDS_MAX_CONNECTIONS_DIVISOR = 9_531_392
RDS_MAX_CONNECTIONS_CAP = 5000
RDS_INSTANCE_MEMORY_GIB: dict[str, float] = {
    **{f"db.{family}.{size}": memory for family in ("t3", "t4g")
       for size, memory in (("micro", 1), ("small", 2), ("medium", 4), ("large", 8), ("xlarge", 16),
                            ("2xlarge", 32))},
    **{f"db.{family}.{size}": memory for family in ("m5", "m6g", "m6i", "m7g", "m7i")
       for size, memory in (("large", 8), ("xlarge", 16), ("2xlarge", 32), ("4xlarge", 64), ("8xlarge", 128))},
    **{f"db.{family}.{size}": memory for family in ("r5", "r6g", "r6i", "r7g", "r7i")
       for size, memory in (("large", 16), ("xlarge", 32), ("2xlarge", 64), ("4xlarge", 128), ("8xlarge", 256))},
}
# Share of max_connections LiteLLM may plan for: the rest covers RDS's own reserved memory,
# rdsadmin and superuser slots, migrations and an operator's psql session.
RDS_CONNECTION_HEADROOM = 0.30
# Database connections each LiteLLM worker may open. With the config read from S3, LiteLLM's CLI
# ignores general_settings.database_connection_pool_limit and uses its own default
# (proxy_cli.LiteLLMDatabaseConnectionPool; a test reads it from the pinned release).
LITELLM_DATABASE_POOL_PER_WORKER = 10
