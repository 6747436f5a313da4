//! Page text: every word of the pages comes from `locales/{en,ko}/*.ftl` (fluent).

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

/// The translator of one page, in one language. Templates call `t.get("key")`.
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

    /// `en` or `ko`, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(lang: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut keys = BTreeSet::new();
        for entry in std::fs::read_dir(dir).expect("locale folder") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("ftl");
            for line in text.lines() {
                if let Some((key, value)) = line.split_once(" =") {
                    // Messages that take arguments are checked by `arguments_are_filled_in`.
                    if !key.starts_with([' ', '#', '-'])
                        && !key.is_empty()
                        && !value.contains("{ $")
                    {
                        keys.insert(key.trim().to_string());
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn english_and_korean_have_the_same_keys() {
        let en = keys("en");
        let ko = keys("ko");
        assert!(en.len() > 50, "only {} keys", en.len());
        let missing_ko: Vec<_> = en.difference(&ko).collect();
        let missing_en: Vec<_> = ko.difference(&en).collect();
        assert!(missing_ko.is_empty(), "missing in ko: {missing_ko:?}");
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        for key in &ko {
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
}
