"""Internet-facing ALB, target group, listeners and the WAFv2 web ACL."""
