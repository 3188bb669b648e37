"""ECS cluster, the LiteLLM + Ollama task definition, the service, autoscaling, model cache."""
