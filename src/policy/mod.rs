//! The shared policy file: load (serde, unknown keys refused) → validate
//! (pure) → [`Policy`], with every problem located by file, line, column and
//! field path.
//!
//! The same file drives the CLI, the Lambdas and Terraform (`yamldecode`).

pub mod duration;
mod load;
mod locate;
pub mod model;
mod predictive;
pub mod raw;
pub mod schema;
mod timeouts;
mod validate;

pub use duration::Span;
pub use load::{MAX_POLICY_BYTES, load_file, load_str, validate_raw};
pub use model::*;
pub use predictive::{Predictive, PredictiveMode};
pub use timeouts::Timeouts;
pub use validate::generated_alarm_name;

use std::fmt;

/// One thing wrong with a policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Field path, e.g. `resources[1].instance_class.ladder[2]` (empty for
    /// the whole document).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What was expected instead.
    pub expected: String,
}

/// Why a policy file was refused: every problem found, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// The file as named by the caller (`<input>` for strings).
    pub file: String,
    /// The problems; never empty.
    pub problems: Vec<Problem>,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}", self.file)?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
                if let Some(col) = p.column {
                    write!(f, ":{col}")?;
                }
            }
            let path = if p.path.is_empty() {
                "(document)"
            } else {
                &p.path
            };
            write!(f, ": {path}: {}; expected {}", p.message, p.expected)?;
        }
        Ok(())
    }
}
