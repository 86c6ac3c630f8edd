//! aws_elasticache: against moto server.
