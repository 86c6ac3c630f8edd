//! policy_files
