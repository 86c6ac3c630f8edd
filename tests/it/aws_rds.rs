//! aws_rds: against moto server.
