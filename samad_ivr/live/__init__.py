"""Live call state from AMI: reducer, projections and the hub browsers watch."""
