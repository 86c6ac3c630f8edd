//! aws_faults: against moto server.
