//! The [`NotifyPort`] adapter on `aws-sdk-sns`: one topic, one Publish per
//! notice. The subject is made acceptable to SNS first (ASCII, one line,
//! under 100 characters), since SNS refuses the whole message otherwise and
//! a notice that is never sent is worse than one with a plainer subject.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use super::AwsError;
use crate::notify::Notice;
use crate::ports::NotifyPort;

const SERVICE: &str = "sns";

/// SNS's limit: subjects "must be less than 100 characters long".
const SUBJECT_MAX: usize = 99;

/// What a cut subject ends with (ASCII: `…` is not allowed).
const CUT: &str = "...";

/// Notices published to one SNS topic.
#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    /// Publishes to `topic_arn` through a client on the shared configuration.
    pub fn new(config: &aws_config::SdkConfig, topic_arn: impl Into<String>) -> Self {
        SnsNotifier {
            client: Client::from_conf(
                aws_sdk_sns::config::Builder::from(config)
                    .interceptor(crate::aws::attempts::Recorder)
                    .build(),
            ),
            topic_arn: topic_arn.into(),
        }
    }
}

#[async_trait]
impl NotifyPort for SnsNotifier {
    /// The subject is made acceptable to SNS first (see the module); one
    /// left empty is not sent (SNS refuses an empty one). The message is
    /// sent as it is.
    async fn publish(&self, subject_line: &str, message: &str) -> Result<(), AwsError> {
        self.send(subject_line, message, &[]).await
    }

    /// As [`NotifyPort::publish`], with the notice's attributes as String
    /// message attributes, so subscription filter policies can route it.
    async fn publish_notice(&self, notice: &Notice) -> Result<(), AwsError> {
        self.send(&notice.subject, &notice.message(), &notice.attributes())
            .await
    }
}

impl SnsNotifier {
    async fn send(
        &self,
        subject_line: &str,
        message: &str,
        attributes: &[(&str, &str)],
    ) -> Result<(), AwsError> {
        let subject_line = subject(subject_line);
        let mut publish = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .set_subject((!subject_line.is_empty()).then_some(subject_line))
            .message(message);
        for (name, value) in attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(*value)
                .build()
                .map_err(|e| {
                    AwsError::malformed(SERVICE, "Publish", format!("attribute {name}: {e}"))
                })?;
            publish = publish.message_attributes(*name, value);
        }
        publish
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(SERVICE, "Publish", &self.topic_arn, e))?;
        Ok(())
    }
}

/// `raw` as SNS accepts a subject: printable ASCII on one line, runs of
/// white space and control characters as one space, common typographic
/// characters spelled in ASCII (`→` as `->`, `…` as `...`), anything else
/// as `?`; at most [`SUBJECT_MAX`] characters, a longer one cut and ending
/// in `...`.
fn subject(raw: &str) -> String {
    let mut ascii = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            ' '..='~' => ascii.push(c),
            c if c.is_control() || c.is_whitespace() => ascii.push(' '),
            '→' | '⇒' | '⟶' => ascii.push_str("->"),
            '←' | '⇐' => ascii.push_str("<-"),
            '↑' => ascii.push_str("up"),
            '↓' => ascii.push_str("down"),
            '…' => ascii.push_str("..."),
            '–' | '—' | '−' | '·' | '•' => ascii.push('-'),
            '‘' | '’' | '′' => ascii.push('\''),
            '“' | '”' | '″' => ascii.push('"'),
            '≥' => ascii.push_str(">="),
            '≤' => ascii.push_str("<="),
            '≠' => ascii.push_str("!="),
            '×' => ascii.push('x'),
            '€' => ascii.push_str("EUR"),
            '£' => ascii.push_str("GBP"),
            _ => ascii.push('?'),
        }
    }
    // SNS wants it to begin with a letter, digit or punctuation mark.
    let mut line = ascii.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() > SUBJECT_MAX {
        // ASCII by now: every byte index is a character boundary.
        line.truncate(SUBJECT_MAX - CUT.len());
        line.truncate(line.trim_end().len());
        line.push_str(CUT);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ascii_passes_unchanged() {
        let s = "tidegate: billing-db instance_class up (db.r6g.large)";
        assert_eq!(subject(s), s);
    }

    #[test]
    fn arrows_and_typography_become_ascii() {
        assert_eq!(
            subject("billing-db db.r6g.large → db.r6g.xlarge … “done” – ok"),
            "billing-db db.r6g.large -> db.r6g.xlarge ... \"done\" - ok"
        );
        assert_eq!(subject("spend ≥ 80% · €12"), "spend >= 80% - EUR12");
        assert_eq!(subject("naïve 日本"), "na?ve ??");
    }

    #[test]
    fn control_characters_and_newlines_become_one_space() {
        assert_eq!(
            subject("  line one\r\nline\ttwo\u{7}\u{a0}end \n"),
            "line one line two end"
        );
        assert_eq!(subject("\n\t "), "");
    }

    #[test]
    fn a_long_subject_is_cut_under_100_and_marked() {
        let long = format!("{} → tail", "x".repeat(120));
        let cut = subject(&long);
        assert_eq!(cut.len(), SUBJECT_MAX);
        assert!(cut.ends_with("x..."), "{cut}");
        assert!(cut.is_ascii());

        let exactly = "y".repeat(SUBJECT_MAX);
        assert_eq!(subject(&exactly), exactly);

        // No space left before the marker when the cut falls after a word.
        let words = format!("{} {}", "a".repeat(95), "b".repeat(10));
        assert_eq!(subject(&words), format!("{}...", "a".repeat(95)));
    }

    #[test]
    fn every_output_is_printable_ascii() {
        for raw in ["→←↑↓…", "\u{0}\u{1f}\u{7f}\u{85}", "🙂 emoji", "a\u{2028}b"] {
            let s = subject(raw);
            assert!(
                s.bytes().all(|b| (b' '..=b'~').contains(&b)),
                "{raw:?} → {s:?}"
            );
            assert!(s.len() <= SUBJECT_MAX);
        }
    }
}
