//! aws_estate: against moto server.
