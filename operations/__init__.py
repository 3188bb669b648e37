"""Commands that call AWS after a deploy: secrets, Redis AUTH, redeploys and smoke checks."""
