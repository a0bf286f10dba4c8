//! The request context that conditions are evaluated against: condition key
//! to values, filled by the caller (identity, project, time, source address,
//! the target server's tags).
//!
//! Key names are case-insensitive up to the first `/`; what follows it (the
//! tag key of `g:ResourceTag/<key>`) is case-sensitive, like the tag keys
//! themselves. Every key may hold several values; a key with no values is
//! treated as absent.
//!
//! The engine is pure and never reads the clock: callers put the time of the
//! request under `g:CurrentTime` (RFC 3339) when policies may test it.

/// Condition key values for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: Vec<(Box<str>, Vec<String>)>,
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    /// Sets `key` to the single `value`, replacing earlier values.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Context {
        self.set(key, [value.into()]);
        self
    }

    /// Sets `key` to `values`, replacing earlier values.
    pub fn with_many<I, S>(mut self, key: &str, values: I) -> Context
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set(key, values);
        self
    }

    /// Sets `key` to `values`, replacing earlier values.
    pub fn set<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let key = normalize_key(key);
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        match self.entries.iter_mut().find(|(k, _)| **k == *key) {
            Some(entry) => entry.1 = values,
            None => self.entries.push((key.into(), values)),
        }
    }

    /// The values of `key`; `None` when the key is absent or has no values.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(k, _)| key_eq(k, key))
            .map(|(_, v)| v.as_slice())
            .filter(|v| !v.is_empty())
    }

    /// Lookup by a key already in normalized form (compiled conditions hold
    /// their keys that way), so it is a plain comparison.
    pub(crate) fn get_normalized(&self, key: &str) -> Option<&[String]> {
        self.entries
            .iter()
            .find(|(k, _)| **k == *key)
            .map(|(_, v)| v.as_slice())
            .filter(|v| !v.is_empty())
    }

    /// Every key (normalized) with its values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (&**k, v.as_slice()))
    }
}

/// Lower-cases the key name up to the first `/` and keeps the rest.
pub(crate) fn normalize_key(key: &str) -> String {
    match key.split_once('/') {
        Some((name, rest)) => format!("{}/{}", name.to_ascii_lowercase(), rest),
        None => key.to_ascii_lowercase(),
    }
}

/// `normalized == normalize_key(query)`, without allocating.
fn key_eq(normalized: &str, query: &str) -> bool {
    if normalized.len() != query.len() {
        return false;
    }
    let cut = query.find('/').unwrap_or(query.len());
    normalized.as_bytes()[..cut].eq_ignore_ascii_case(&query.as_bytes()[..cut])
        && normalized.as_bytes()[cut..] == query.as_bytes()[cut..]
}

#[cfg(test)]
mod tests {
    use super::Context;

    #[test]
    fn key_names_fold_but_tag_keys_do_not() {
        let ctx = Context::new()
            .with("g:UserName", "alice")
            .with_many("g:ResourceTag/Team", ["dev", "ops"]);
        assert_eq!(ctx.get("G:USERNAME"), Some(&["alice".to_string()][..]));
        assert_eq!(ctx.get("g:resourcetag/Team").map(|v| v.len()), Some(2));
        assert_eq!(ctx.get("g:ResourceTag/team"), None);
    }

    #[test]
    fn set_replaces_and_empty_is_absent() {
        let ctx = Context::new().with("g:UserId", "a").with("G:userid", "b");
        assert_eq!(ctx.get("g:UserId"), Some(&["b".to_string()][..]));
        let ctx = ctx.with_many("g:UserId", Vec::<String>::new());
        assert_eq!(ctx.get("g:UserId"), None);
    }
}
