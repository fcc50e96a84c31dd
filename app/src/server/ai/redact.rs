//! The minimum a prompt needs: email addresses become `[email]`, and the client's and coach's
//! names become placeholders that are put back in the answer.

use crate::server::authz::AiSubject;

pub const CLIENT: &str = "[CLIENT]";
pub const COACH: &str = "[COACH]";
pub const NAME: &str = "[name]";
const EMAIL: &str = "[email]";
/// Placeholders already in a text are kept as they are, so hiding twice changes nothing.
const PLACEHOLDERS: [&str; 4] = [CLIENT, COACH, NAME, EMAIL];

/// Hides one client's and one coach's names (whole and by part) and every email address.
pub struct Redactor {
    /// Longest first, so "Riley Client" goes before "Riley".
    needles: Vec<(Vec<char>, &'static str)>,
    client_first: String,
    coach_first: String,
}

fn name_parts(name: &str) -> Vec<String> {
    let mut parts = vec![name.trim().to_owned()];
    parts.extend(
        name.split_whitespace()
            .filter(|part| part.chars().count() >= 2)
            .map(str::to_owned),
    );
    parts
}

fn lower(text: &str) -> Vec<char> {
    text.chars().flat_map(char::to_lowercase).collect()
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or(name).to_owned()
}

impl Redactor {
    pub fn for_subject(subject: &AiSubject) -> Self {
        Self::new(subject.client_name(), subject.coach_name())
    }

    pub fn new(client_name: &str, coach_name: &str) -> Self {
        let mut needles: Vec<(Vec<char>, &'static str)> = Vec::new();
        for (name, placeholder) in [(client_name, CLIENT), (coach_name, COACH)] {
            for part in name_parts(name) {
                let part = lower(&part);
                if !part.is_empty() && !needles.iter().any(|(n, _)| *n == part) {
                    needles.push((part, placeholder));
                }
            }
        }
        needles.sort_by_key(|(needle, _)| std::cmp::Reverse(needle.len()));
        Self {
            needles,
            client_first: first_name(client_name),
            coach_first: first_name(coach_name),
        }
    }

    /// The text as it may be sent.
    pub fn hide(&self, text: &str) -> String {
        let text = hide_emails(text);
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        'scan: while i < chars.len() {
            if chars[i] == '[' {
                for placeholder in PLACEHOLDERS {
                    let len = placeholder.chars().count();
                    if chars[i..].iter().take(len).copied().eq(placeholder.chars()) {
                        out.push_str(placeholder);
                        i += len;
                        continue 'scan;
                    }
                }
            }
            let at_word_start = i == 0 || !chars[i - 1].is_alphanumeric();
            if at_word_start {
                for (needle, placeholder) in &self.needles {
                    let end = i + needle.len();
                    let matches = end <= chars.len()
                        && chars[i..end]
                            .iter()
                            .zip(needle)
                            .all(|(c, n)| c.to_lowercase().eq(std::iter::once(*n)))
                        && chars.get(end).is_none_or(|c| !c.is_alphanumeric());
                    if matches {
                        out.push_str(placeholder);
                        i = end;
                        continue 'scan;
                    }
                }
            }
            out.push(chars[i]);
            i += 1;
        }
        out
    }

    /// The answer with the names put back (first names read naturally in a summary or reply).
    pub fn restore(&self, text: &str) -> String {
        text.replace(CLIENT, &self.client_first)
            .replace(COACH, &self.coach_first)
    }
}

/// Replaces anything shaped like `local@domain.tld` in each whitespace-separated word.
fn hide_emails(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(word_end);
        out.push_str(&hide_email_in_word(word));
        let space_end = tail
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(tail.len());
        out.push_str(&tail[..space_end]);
        rest = &tail[space_end..];
    }
    out
}

fn hide_email_in_word(word: &str) -> String {
    let is_edge = |c: char| !(c.is_alphanumeric() || "@._%+-".contains(c));
    let core_start = word.find(|c: char| !is_edge(c)).unwrap_or(word.len());
    let core_end = word[core_start..]
        .find(is_edge)
        .map_or(word.len(), |i| core_start + i);
    let core = word[core_start..core_end].trim_end_matches('.');
    let looks_like_email = core.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
    });
    if looks_like_email {
        format!(
            "{}{EMAIL}{}",
            &word[..core_start],
            &word[core_start + core.len()..]
        )
    } else {
        word.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_emails_are_hidden_and_names_restored() {
        let r = Redactor::new("Riley Client", "Casey Coach");
        let hidden = r.hide(
            "Casey: Hi Riley! (riley@example.com) RILEY CLIENT said Rileys plan; mail <c.c@x.io>. Riley",
        );
        assert_eq!(
            hidden,
            "[COACH]: Hi [CLIENT]! ([email]) [CLIENT] said Rileys plan; mail <[email]>. [CLIENT]"
        );
        assert_eq!(r.hide("Ri"), "Ri", "a prefix at the very end is not a name");
        assert_eq!(r.hide(&hidden), hidden, "hiding twice changes nothing");
        assert_eq!(
            r.restore("[CLIENT] will walk; [COACH] checks in."),
            "Riley will walk; Casey checks in."
        );
    }

    #[test]
    fn text_without_names_is_unchanged() {
        let r = Redactor::new("Ann Lee", "Bo Ma");
        let text = "Annual review at 5 o'clock, email me @ noon.";
        assert_eq!(r.hide(text), text);
    }
}
