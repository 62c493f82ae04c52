//! The credentials the server knows in enforce mode.
//!
//! Secrets live only in this map. `Debug` is written by hand so that logging a `KeyStore`
//! (or a config that holds one) prints access key ids but never a secret, and credentials-file
//! errors name a line number but never echo the line, which might hold a secret.

use std::collections::BTreeMap;
use std::fmt;

/// Credentials known to the server in enforce mode: access key id → secret access key.
#[derive(Clone, Default)]
pub struct KeyStore {
    keys: BTreeMap<String, String>,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.keys.keys().map(|k| (k, "<redacted>")))
            .finish()
    }
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces one key.
    pub fn insert(&mut self, access_key: String, secret: String) {
        self.keys.insert(access_key, secret);
    }

    /// True when no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of access keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The secret for `access_key`, if known.
    pub fn secret(&self, access_key: &str) -> Option<&str> {
        self.keys.get(access_key).map(String::as_str)
    }

    /// Parses an AWS shared-credentials INI file (`[profile]` sections with aws_access_key_id /
    /// aws_secret_access_key; comments with # or ;) and adds every profile's key. Errors name
    /// the line.
    ///
    /// Follows the AWS CLI's reading of the file: section headers may be `[name]` or
    /// `[profile name]`, keys are case-insensitive, `=` or `:` separate key and value, other
    /// keys (session tokens, region, ...) are ignored, and indented lines under an empty-valued
    /// key are nested settings and ignored. A profile with neither key is skipped (it may hold
    /// only settings); a profile with just one of the two is an error. Duplicate profiles or
    /// duplicate keys inside a profile are errors, as in Python's strict `configparser`.
    ///
    /// All-or-nothing: on error nothing is added. Returns the number of profiles added.
    pub fn load_credentials_file(&mut self, text: &str) -> Result<usize, String> {
        let profiles = parse_credentials(text)?;
        let added = profiles.len();
        for (access_key, secret) in profiles {
            self.insert(access_key, secret);
        }
        Ok(added)
    }
}

struct Profile {
    name: String,
    line: usize,
    access_key: Option<String>,
    secret: Option<String>,
}

impl Profile {
    fn finish(self, out: &mut Vec<(String, String)>) -> Result<(), String> {
        let Profile {
            name,
            line,
            access_key,
            secret,
        } = self;
        match (access_key, secret) {
            (Some(k), Some(s)) => {
                out.push((k, s));
                Ok(())
            }
            (None, None) => Ok(()),
            (Some(_), None) => Err(format!(
                "line {line}: profile '{name}' has aws_access_key_id but no aws_secret_access_key"
            )),
            (None, Some(_)) => Err(format!(
                "line {line}: profile '{name}' has aws_secret_access_key but no aws_access_key_id"
            )),
        }
    }
}

fn parse_credentials(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut seen_sections: Vec<String> = Vec::new();
    let mut current: Option<Profile> = None;
    // Keys seen in the current section, and whether the last key had an empty value (which
    // makes following indented lines its nested settings).
    let mut section_keys: Vec<String> = Vec::new();
    let mut nested_allowed = false;

    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if indented && nested_allowed {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let Some(inner) = rest.strip_suffix(']') else {
                return Err(format!(
                    "line {line_no}: section header is missing its closing ']'"
                ));
            };
            let inner = inner.trim();
            let name = match inner.strip_prefix("profile") {
                Some(n) if n.starts_with([' ', '\t']) => n.trim(),
                _ => inner,
            };
            if name.is_empty() {
                return Err(format!("line {line_no}: empty profile name"));
            }
            if seen_sections.iter().any(|s| s == name) {
                return Err(format!("line {line_no}: profile '{name}' is defined twice"));
            }
            seen_sections.push(name.to_owned());
            if let Some(done) = current.take() {
                done.finish(&mut out)?;
            }
            current = Some(Profile {
                name: name.to_owned(),
                line: line_no,
                access_key: None,
                secret: None,
            });
            section_keys.clear();
            nested_allowed = false;
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            return Err(format!(
                "line {line_no}: expected 'key = value' or a '[profile]' header"
            ));
        };
        let (key, value) = line.split_at(split);
        let key = key.trim().to_ascii_lowercase();
        let value = value.get(1..).unwrap_or_default().trim();
        let Some(profile) = current.as_mut() else {
            return Err(format!(
                "line {line_no}: '{key}' appears before any '[profile]' header"
            ));
        };
        if key.is_empty() {
            return Err(format!("line {line_no}: missing key before '='"));
        }
        if section_keys.contains(&key) {
            return Err(format!(
                "line {line_no}: duplicate key '{key}' in profile '{}'",
                profile.name
            ));
        }
        section_keys.push(key.clone());
        nested_allowed = value.is_empty();
        let slot = match key.as_str() {
            "aws_access_key_id" => &mut profile.access_key,
            "aws_secret_access_key" => &mut profile.secret,
            _ => continue,
        };
        if value.is_empty() {
            return Err(format!("line {line_no}: '{key}' has an empty value"));
        }
        *slot = Some(value.to_owned());
    }
    if let Some(done) = current.take() {
        done.finish(&mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_and_lookup() {
        let mut ks = KeyStore::new();
        assert!(ks.is_empty());
        ks.insert("AKID".into(), "secret".into());
        ks.insert("AKID".into(), "secret2".into());
        assert_eq!(ks.len(), 1);
        assert_eq!(ks.secret("AKID"), Some("secret2"));
        assert_eq!(ks.secret("akid"), None);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut ks = KeyStore::new();
        ks.insert("AKID".into(), "wJalrXUtnFEMI".into());
        let shown = format!("{ks:?}");
        assert!(shown.contains("AKID"), "{shown}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
    }

    #[test]
    fn loads_every_profile() {
        let text = "\
# shared credentials
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secretdefault
aws_session_token = ignored

; another comment
[profile ci]
AWS_ACCESS_KEY_ID=AKIDCI
aws_secret_access_key:secret/ci+x==
region = us-west-2
s3 =
    addressing_style = path
    aws_access_key_id = NESTEDIGNORED

[settings-only]
region = eu-west-1
";
        let mut ks = KeyStore::new();
        assert_eq!(ks.load_credentials_file(text), Ok(2));
        assert_eq!(ks.secret("AKIDDEFAULT"), Some("secretdefault"));
        assert_eq!(ks.secret("AKIDCI"), Some("secret/ci+x=="));
        assert_eq!(ks.secret("NESTEDIGNORED"), None);
        assert_eq!(ks.len(), 2);
    }

    #[test]
    fn empty_file_adds_nothing() {
        let mut ks = KeyStore::new();
        assert_eq!(ks.load_credentials_file(""), Ok(0));
        assert_eq!(ks.load_credentials_file("# only a comment\n\n"), Ok(0));
    }

    #[test]
    fn errors_name_the_line_and_never_the_secret() {
        let cases = [
            (
                "aws_access_key_id = A\n",
                "line 1: 'aws_access_key_id' appears before any '[profile]' header",
            ),
            (
                "[a]\njunk line\n",
                "line 2: expected 'key = value' or a '[profile]' header",
            ),
            ("[a\n", "line 1: section header is missing its closing ']'"),
            ("[]\n", "line 1: empty profile name"),
            ("[a]\n[a]\n", "line 2: profile 'a' is defined twice"),
            (
                "[a]\naws_access_key_id=A\n\n[b]\n",
                "line 1: profile 'a' has aws_access_key_id but no aws_secret_access_key",
            ),
            (
                "[a]\naws_secret_access_key=TOPSECRET\n",
                "line 1: profile 'a' has aws_secret_access_key but no aws_access_key_id",
            ),
            (
                "[a]\naws_access_key_id=A\naws_access_key_id=B\n",
                "line 3: duplicate key 'aws_access_key_id' in profile 'a'",
            ),
            (
                "[a]\naws_access_key_id=\n",
                "line 2: 'aws_access_key_id' has an empty value",
            ),
            ("[a]\n= v\n", "line 2: missing key before '='"),
        ];
        for (text, want) in cases {
            let mut ks = KeyStore::new();
            assert_eq!(
                ks.load_credentials_file(text),
                Err(want.to_owned()),
                "{text:?}"
            );
            assert!(ks.is_empty(), "nothing is added on error");
        }
    }

    #[test]
    fn failed_load_keeps_existing_keys_and_adds_none() {
        let mut ks = KeyStore::new();
        ks.insert("OLD".into(), "old".into());
        let text = "[a]\naws_access_key_id=A\naws_secret_access_key=s\n[b]\naws_access_key_id=B\n";
        assert!(ks.load_credentials_file(text).is_err());
        assert_eq!(ks.len(), 1);
        assert_eq!(ks.secret("A"), None);
    }

    #[test]
    fn crlf_line_endings() {
        let mut ks = KeyStore::new();
        let text = "[default]\r\naws_access_key_id = K\r\naws_secret_access_key = S\r\n";
        assert_eq!(ks.load_credentials_file(text), Ok(1));
        assert_eq!(ks.secret("K"), Some("S"));
    }
}
