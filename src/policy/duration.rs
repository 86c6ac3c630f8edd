//! Durations as operators write them: `15m`, `2h`, `1h30m`, `90s`, `1d`.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A length of time, whole seconds. Written as a sequence of `<n><unit>`
/// with units `d`, `h`, `m`, `s` (e.g. `1h30m`), at most [`Span::MAX`]:
/// every duration a policy sets (cooldowns, windows, periods, cache ages)
/// is far shorter, and a bound here keeps arithmetic on instants in range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    seconds: u64,
}

impl Span {
    /// The longest duration accepted: 366 days.
    pub const MAX: Span = Span::from_secs(366 * 86_400);

    /// A span of `seconds` seconds.
    pub const fn from_secs(seconds: u64) -> Self {
        Span { seconds }
    }

    /// A span of `minutes` minutes.
    pub const fn from_mins(minutes: u64) -> Self {
        Span {
            seconds: minutes * 60,
        }
    }

    /// Whole seconds.
    pub const fn as_secs(self) -> u64 {
        self.seconds
    }

    /// As a chrono duration, for arithmetic on instants.
    pub fn to_chrono(self) -> chrono::TimeDelta {
        // Spans are parsed from at most ~20 digits of days; clamp rather than panic.
        chrono::TimeDelta::try_seconds(i64::try_from(self.seconds).unwrap_or(i64::MAX / 1000))
            .unwrap_or(chrono::TimeDelta::MAX)
    }
}

/// Why a duration string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a duration: {why} (expected e.g. `15m`, `2h`, `1h30m`, `90s`, `1d`)")]
pub struct SpanError {
    input: String,
    why: &'static str,
}

impl FromStr for Span {
    type Err = SpanError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |why| SpanError {
            input: input.to_owned(),
            why,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => return Err(err("unknown unit (use d, h, m or s)")),
            };
            if digits.is_empty() {
                return Err(err("a unit has no number before it"));
            }
            let n: u64 = digits.parse().map_err(|_| err("number too large"))?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| err("too long"))?;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(err("the last number has no unit"));
        }
        if total > Span::MAX.seconds {
            return Err(err(
                "longer than 366 days, the longest duration a policy may set",
            ));
        }
        Ok(Span { seconds: total })
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.seconds;
        if rest == 0 {
            return f.write_str("0m");
        }
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if rest >= size {
                write!(f, "{}{}", rest / size, unit)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Span {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([0-9]+[dhms])+$",
            "description": "A duration such as `15m`, `2h`, `1h30m`, `90s` or `1d`.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compound_spans() {
        assert_eq!("1h30m".parse::<Span>().map(Span::as_secs), Ok(5_400));
        assert_eq!("15m".parse::<Span>().map(Span::as_secs), Ok(900));
        assert_eq!("0m".parse::<Span>().map(Span::as_secs), Ok(0));
        assert_eq!("2d".parse::<Span>().map(Span::as_secs), Ok(172_800));
    }

    #[test]
    fn rejects_bad_spans() {
        for bad in [
            "",
            "15",
            "m",
            "15x",
            "1.5h",
            "99999999999999999999d",
            "100000000d",
            "367d",
            "366d1s",
        ] {
            assert!(bad.parse::<Span>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn the_longest_span_is_366_days() {
        assert_eq!("366d".parse::<Span>(), Ok(Span::MAX));
        let err = "100000000d".parse::<Span>().expect_err("too long");
        assert!(err.to_string().contains("366 days"), "{err}");
    }

    #[test]
    fn displays_round_trip() {
        for s in ["1h30m", "15m", "0m", "1d2h3m4s"] {
            let span: Span = s.parse().expect("valid");
            assert_eq!(span.to_string(), s);
        }
    }
}
