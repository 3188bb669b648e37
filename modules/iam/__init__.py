"""Task execution role and task role."""
