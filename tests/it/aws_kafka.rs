//! aws_kafka: against moto server.
