//! aws_autoscaling: against moto server.
