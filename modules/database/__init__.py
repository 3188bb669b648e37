"""RDS PostgreSQL for LiteLLM's keys, teams and spend logs."""
