//! The hourly cost of a resource in a given configuration.
