//! Every word the server writes, pages and e-mails alike, comes from
//! `locales/{en,ko}/*.ftl` (fluent): the pages through [`Tr::get`] and its kin, the mails
//! (`locales/*/mail.ftl`) through [`Tr::format`], which says when a text is missing.

use coproof_core::Language;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: names and addresses are shown as typed.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LazyLock<LanguageIdentifier> = LazyLock::new(|| fluent_templates::langid!("en"));
static KO: LazyLock<LanguageIdentifier> = LazyLock::new(|| fluent_templates::langid!("ko"));

fn id(lang: Language) -> &'static LanguageIdentifier {
    match lang {
        Language::En => &EN,
        Language::Ko => &KO,
    }
}

/// The translator of one page or mail, in one language. Templates call `t.get("key")`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Language,
}

impl Tr {
    pub fn new(lang: Language) -> Tr {
        Tr { lang }
    }

    /// The text of `key`.
    pub fn get(&self, key: &str) -> String {
        LOCALES.lookup(id(self.lang), key)
    }

    /// The text of `key` with one argument.
    pub fn get1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert(
            Cow::Owned(name.to_string()),
            FluentValue::from(value.to_string()),
        );
        LOCALES.lookup_with_args(id(self.lang), key, &args)
    }

    /// A message with two arguments.
    pub fn get2(&self, key: &str, name: &str, value: &str, name2: &str, value2: &str) -> String {
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        for (n, v) in [(name, value), (name2, value2)] {
            args.insert(Cow::Owned(n.to_string()), FluentValue::from(v.to_string()));
        }
        LOCALES.lookup_with_args(id(self.lang), key, &args)
    }

    /// The text of `key` if this language has it (no fallback): for codes from a URL.
    pub fn known(&self, key: &str) -> Option<String> {
        LOCALES
            .lookup_single_language::<&str>(id(self.lang), key, None)
            .ok()
    }

    /// The text of `key` with `args`, from this language alone: an error (never a stand-in
    /// text) when the language lacks the message or the message an argument. Selectors
    /// choose their variant by a string argument (`yes`/`no`).
    pub fn format(&self, key: &str, args: &[(&str, &str)]) -> Result<String, MissingText> {
        let args: HashMap<&str, FluentValue> = args
            .iter()
            .map(|&(name, value)| (name, FluentValue::from(value)))
            .collect();
        LOCALES
            .lookup_single_language(id(self.lang), key, Some(&args))
            .map_err(|e| MissingText {
                key: key.to_string(),
                lang: self.lang,
                detail: e.to_string(),
            })
    }

    /// `en` or `ko`, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.as_str()
    }
}

/// A text [`Tr::format`] could not write.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no text {key:?} in {}: {detail}", lang.as_str())]
pub struct MissingText {
    pub key: String,
    pub lang: Language,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// The messages of `lang`'s files, each with whether it takes arguments (its first
    /// line or an indented line after it mentions one).
    fn messages(lang: &str) -> BTreeMap<String, bool> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut messages = BTreeMap::new();
        for entry in std::fs::read_dir(dir).expect("locale folder") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
            let mut current: Option<String> = None;
            for line in text.lines() {
                if line.is_empty() {
                    continue; // a blank line within a message, or between two
                }
                if line.starts_with(' ') {
                    if let Some(key) = &current {
                        if line.contains("{ $") {
                            messages.insert(key.clone(), true);
                        }
                    }
                    continue;
                }
                current = None;
                if let Some((key, value)) = line.split_once(" =") {
                    if !key.starts_with(['#', '-']) && !key.is_empty() {
                        let key = key.trim().to_string();
                        messages.insert(key.clone(), value.contains("{ $"));
                        current = Some(key);
                    }
                }
            }
        }
        messages
    }

    #[test]
    fn english_and_korean_have_the_same_keys() {
        let en = messages("en");
        let ko = messages("ko");
        assert!(en.len() > 50, "only {} keys", en.len());
        let missing_ko: Vec<_> = en.keys().filter(|k| !ko.contains_key(*k)).collect();
        let missing_en: Vec<_> = ko.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing_ko.is_empty(), "missing in ko: {missing_ko:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        // Messages that take arguments are checked with them: `arguments_are_filled_in`
        // here, every mail in `mail::templates`.
        for (key, _) in ko.iter().filter(|(_, takes_arguments)| !**takes_arguments) {
            assert!(
                Tr::new(Language::Ko).known(key).is_some(),
                "ko does not resolve {key}"
            );
        }
    }

    #[test]
    fn korean_uses_the_documents_words() {
        let t = Tr::new(Language::Ko);
        for (key, word) in [
            ("partners-new-invitation", "새 파트너 초대 보내기"),
            ("partners-send-box", "초대 보내기"),
            ("partners-send", "보내기"),
            ("partners-accept", "수락"),
            ("partners-reject", "거부 및 무시"),
            ("partners-delete", "삭제"),
            ("status-pending", "대기 중"),
            ("status-accepted", "수락됨"),
            ("status-rejected", "거부됨"),
            ("nav-contacts", "연락처"),
            ("profile-admin", "관리자"),
            ("profile-billing_admin", "청구 관리자"),
            ("tab-partners", "파트너"),
            ("settings-account", "계정 설정"),
            ("nav-settings", "설정"),
        ] {
            assert_eq!(t.get(key), word, "{key}");
        }
    }

    #[test]
    fn arguments_are_filled_in_without_isolation_marks() {
        let t = Tr::new(Language::En);
        assert_eq!(
            t.get1("home-signed-in-as", "name", "Ann"),
            "Signed in as Ann"
        );
        let t = Tr::new(Language::Ko);
        assert_eq!(
            t.get1("home-signed-in-as", "name", "Ann"),
            "Ann(으)로 로그인했습니다"
        );
    }

    #[test]
    fn format_reports_a_missing_message_or_argument() {
        let t = Tr::new(Language::Ko);
        assert_eq!(
            t.format("home-signed-in-as", &[("name", "Ann")]).unwrap(),
            "Ann(으)로 로그인했습니다"
        );
        let e = t.format("no-such-message", &[]).unwrap_err();
        assert_eq!((e.key.as_str(), e.lang), ("no-such-message", Language::Ko));
        assert!(t.format("home-signed-in-as", &[]).is_err());
    }
}
