//! The page frame every template shares: title, navigation, language links, the CSRF
//! token of its forms, and the flash of a redirect.

use super::i18n::Tr;
use coproof_core::Language;
use coproof_store::model::User;

/// The data every page's frame shows.
pub struct Chrome {
    pub t: Tr,
    pub title: String,
    pub csrf: String,
    pub path: String,
    /// Query parameters the language links keep (`key=value&`…).
    pub keep_query: String,
    pub user: Option<User>,
    pub account: Option<String>,
    /// A translated success message carried by `?ok=`.
    pub flash: Option<String>,
    /// A translated refusal carried by `?error=`.
    pub error: Option<String>,
}

impl Chrome {
    /// A frame with no one signed in and no forms, in `lang` (for pages shown before the
    /// request is known, such as the 404 page).
    pub fn bare(lang: Language, title_key: &str) -> Chrome {
        let t = Tr::new(lang);
        Chrome {
            title: t.get(title_key),
            t,
            csrf: String::new(),
            path: "/".to_string(),
            keep_query: String::new(),
            user: None,
            account: None,
            flash: None,
            error: None,
        }
    }

    /// The current page in another language (`?lang=`), keeping what the page needs.
    pub fn lang_link(&self, code: &str) -> String {
        format!("{}?{}lang={code}", self.path, self.keep_query)
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.profile.is_admin())
    }
}

/// A time as `YYYY-MM-DD HH:MM UTC`.
pub fn when(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}
