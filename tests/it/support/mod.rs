//! Test support: the moto server harness.
