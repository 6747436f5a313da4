//! The two languages Coproof speaks.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Ko,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Ko => "ko",
        }
    }

    pub fn parse(s: &str) -> Option<Language> {
        match s {
            "en" => Some(Language::En),
            "ko" => Some(Language::Ko),
            _ => None,
        }
    }

    /// The first supported language of an `Accept-Language` header, English otherwise.
    pub fn from_accept_language(header: &str) -> Language {
        header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let q = pieces
                    .find_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.parse::<f32>().ok())
                    })
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?.to_string();
                Language::parse(&primary).map(|lang| (lang, q))
            })
            .fold(
                None,
                |best: Option<(Language, f32)>, (lang, q)| match best {
                    Some((_, bq)) if bq >= q => best,
                    _ => Some((lang, q)),
                },
            )
            .map(|(lang, _)| lang)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(
            Language::from_accept_language("ko-KR,ko;q=0.9,en;q=0.8"),
            Language::Ko
        );
        assert_eq!(
            Language::from_accept_language("fr, en;q=0.5, ko;q=0.7"),
            Language::Ko
        );
        assert_eq!(Language::from_accept_language("de"), Language::En);
        assert_eq!(Language::from_accept_language(""), Language::En);
    }
}
