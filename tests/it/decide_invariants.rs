//! decide_invariants
