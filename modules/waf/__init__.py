"""The web ACL, at the load balancer or at the edge."""
