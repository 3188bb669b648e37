"""VPC, subnets per tier and zone, gateways, routes, endpoints and flow logs."""
