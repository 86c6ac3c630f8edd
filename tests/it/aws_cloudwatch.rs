//! aws_cloudwatch: against moto server.
