//! Wildcard patterns as IAM writes them: `*` matches any run of characters
//! (possibly empty), `?` exactly one character. Everything else is literal.
//!
//! Patterns are classified once so that the common shapes (`*`, `get*`,
//! `*Server`, a literal) are a single comparison at decision time.

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    kind: Kind,
    /// ASCII case folding: the pattern is stored lower-cased and the text is
    /// folded byte by byte, so matching never allocates. Actions and resource
    /// names are ASCII, which is all that folding is used for.
    ignore_case: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Only `*`s: matches everything.
    Any,
    Literal(Box<str>),
    /// `abc*`
    Prefix(Box<str>),
    /// `*abc`
    Suffix(Box<str>),
    /// Anything else, matched by backtracking over the pattern.
    General(Box<str>),
}

impl Glob {
    pub(crate) fn new(pattern: &str, ignore_case: bool) -> Glob {
        let pattern = if ignore_case {
            pattern.to_ascii_lowercase()
        } else {
            pattern.to_string()
        };
        let stars = pattern.bytes().filter(|&b| b == b'*').count();
        let kind = if pattern.contains('?') {
            Kind::General(pattern.into())
        } else if stars == 0 {
            Kind::Literal(pattern.into())
        } else if stars == pattern.len() {
            Kind::Any
        } else if stars == 1 && pattern.ends_with('*') {
            Kind::Prefix(pattern[..pattern.len() - 1].into())
        } else if stars == 1 && pattern.starts_with('*') {
            Kind::Suffix(pattern[1..].into())
        } else {
            Kind::General(pattern.into())
        };
        Glob { kind, ignore_case }
    }

    /// True for patterns that match every text, such as `*`.
    pub(crate) fn is_any(&self) -> bool {
        matches!(self.kind, Kind::Any)
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        let ci = self.ignore_case;
        match &self.kind {
            Kind::Any => true,
            Kind::Literal(p) => bytes_eq(p.as_bytes(), text.as_bytes(), ci),
            Kind::Prefix(p) => text.len() >= p.len() && bytes_eq(p.as_bytes(), &text.as_bytes()[..p.len()], ci),
            Kind::Suffix(p) => {
                text.len() >= p.len() && bytes_eq(p.as_bytes(), &text.as_bytes()[text.len() - p.len()..], ci)
            }
            Kind::General(p) => wildcard_match(p.as_bytes(), text.as_bytes(), ci),
        }
    }
}

/// `pattern` is already folded when `ci` is set.
fn bytes_eq(pattern: &[u8], text: &[u8], ci: bool) -> bool {
    if ci {
        pattern.len() == text.len() && pattern.iter().zip(text).all(|(p, t)| *p == t.to_ascii_lowercase())
    } else {
        pattern == text
    }
}

/// Length of the UTF-8 sequence starting at `text[i]`, so that `?` consumes
/// one character and backtracking stays on character boundaries.
fn char_len(text: &[u8], i: usize) -> usize {
    match text[i] {
        b if b < 0xC0 => 1,
        b if b < 0xE0 => 2,
        b if b < 0xF0 => 3,
        _ => 4,
    }
    .min(text.len() - i)
}

/// Iterative matcher: remembers the last `*` and retries from one character
/// further on a mismatch. Linear for typical patterns, never recursive.
fn wildcard_match(pattern: &[u8], text: &[u8], ci: bool) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut retry: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    retry = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += char_len(text, t);
                    continue;
                }
                c if c == if ci { text[t].to_ascii_lowercase() } else { text[t] } => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
        }
        match retry {
            Some((after_star, from)) => {
                let next = from + char_len(text, from);
                retry = Some((after_star, next));
                p = after_star;
                t = next;
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

#[cfg(test)]
mod tests {
    use super::Glob;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p, false).matches(t)
    }

    #[test]
    fn shapes() {
        assert!(m("*", ""));
        assert!(m("**", "abc"));
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("get*", "getServer"));
        assert!(!m("get*", "ge"));
        assert!(m("*Server", "showServer"));
        assert!(!m("*Server", "showserver"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("a?c", "aéc"));
        assert!(m("*:get*", "servers:getOne"));
        assert!(m("*a*", "bab"));
        assert!(!m("?", ""));
        assert!(m("*?", "x"));
    }

    #[test]
    fn ignore_case_folds_text_and_pattern() {
        let g = Glob::new("*:GET*", true);
        assert!(g.matches("Servers:getList"));
        assert!(Glob::new("showServer", true).matches("SHOWSERVER"));
        assert!(Glob::new("Show*", true).matches("showserver"));
        assert!(Glob::new("*SERVER", true).matches("showserver"));
    }
}
