//! Reading the backtest's input files: every path a mapping names stays
//! inside the metrics folder, every file read is a regular file of bounded
//! size, and text that is not UTF-8 is refused with its file and line.
//!
//! A mapping is data, and may come from anyone: `trace: ../../../etc/passwd`
//! or an absolute path must not read outside the folder the operator gave,
//! `/dev/zero` must not be read until memory runs out, and what a refused
//! file holds is never echoed back.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The largest input file read: 64 MiB (a year of one-minute points is
/// about 15 MiB).
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Why an input file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The name a mapping gives leaves the metrics folder, or names
    /// something that is not a regular file.
    #[error("{file}: {why}; expected {expected}")]
    Path {
        /// The name as written.
        file: String,
        /// What is wrong.
        why: String,
        /// What was expected.
        expected: String,
    },
    /// The file could not be opened or read.
    #[error("{file}: cannot read the file: {error}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is larger than [`MAX_INPUT_BYTES`].
    #[error(
        "{file}: the file is larger than {MAX_INPUT_BYTES} bytes; expected a smaller file (split the trace or resample it)"
    )]
    TooLarge {
        /// The file.
        file: String,
    },
    /// The file is not UTF-8 text.
    #[error(
        "{file}:{line}: the file is not UTF-8 text (byte 0x{byte:02X}); expected UTF-8 (or ASCII) text"
    )]
    NotUtf8 {
        /// The file.
        file: String,
        /// 1-based line of the first byte that is not UTF-8.
        line: usize,
        /// That byte.
        byte: u8,
    },
}

/// The file `name` (as a mapping writes it) in `dir`: a relative path with
/// no `..`, which after following links is still inside `dir`.
pub fn inside(dir: &Path, name: &str) -> Result<PathBuf, InputError> {
    let refuse = |why: &str| InputError::Path {
        file: name.to_owned(),
        why: why.to_owned(),
        expected: format!(
            "a file name relative to the metrics folder {}, inside it",
            dir.display()
        ),
    };
    let relative = Path::new(name);
    if relative.as_os_str().is_empty() {
        return Err(refuse("the name is empty"));
    }
    for part in relative.components() {
        match part {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err(refuse("the name climbs out with `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse("the name is an absolute path"));
            }
        }
    }
    let path = dir.join(relative);
    // A link inside the folder may still point out of it.
    let io = |error| InputError::Io {
        file: path.display().to_string(),
        error,
    };
    let root = dir.canonicalize().map_err(|error| InputError::Io {
        file: dir.display().to_string(),
        error,
    })?;
    let real = path.canonicalize().map_err(io)?;
    if !real.starts_with(&root) {
        return Err(refuse("the name leads out of the folder through a link"));
    }
    Ok(path)
}

/// The text of the regular file at `path`: at most [`MAX_INPUT_BYTES`],
/// UTF-8. Errors name the file as `path` shows it.
pub fn read_text(path: &Path) -> Result<String, InputError> {
    let file = path.display().to_string();
    let io = |error| InputError::Io {
        file: file.clone(),
        error,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(InputError::Path {
            file: file.clone(),
            why: "it is not a regular file".to_owned(),
            expected: "a CSV or YAML file (not a device, pipe or folder)".to_owned(),
        });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge { file });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        InputError::NotUtf8 {
            line: 1 + bytes[..at].iter().filter(|b| **b == b'\n').count(),
            byte: bytes.get(at).copied().unwrap_or(0),
            file: file.clone(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_folder_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ok.csv"), "timestamp,value\n").expect("write");
        assert!(inside(dir.path(), "ok.csv").is_ok());
        assert!(inside(dir.path(), "./ok.csv").is_ok());
        for bad in ["../../../etc/passwd", "/etc/passwd", "a/../../x.csv", ""] {
            let err = inside(dir.path(), bad).expect_err(bad);
            assert!(matches!(err, InputError::Path { .. }), "{bad}: {err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_out_of_the_folder_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("out.csv")).expect("link");
        let err = inside(dir.path(), "out.csv").expect_err("leads out");
        assert!(err.to_string().contains("through a link"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_not_read() {
        let err = read_text(Path::new("/dev/zero")).expect_err("not a regular file");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn text_that_is_not_utf8_names_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("latin1.csv");
        std::fs::write(
            &path,
            b"timestamp,value\n2026-01-01 00:00:00,1\ncaf\xe9,2\n",
        )
        .expect("write");
        match read_text(&path) {
            Err(InputError::NotUtf8 { line, byte, .. }) => assert_eq!((line, byte), (3, 0xE9)),
            other => panic!("expected NotUtf8, got {other:?}"),
        }
    }
}
