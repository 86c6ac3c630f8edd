//! The price snapshot built into the binary.
