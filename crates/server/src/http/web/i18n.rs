//! Page text: the server's one translator (`crate::i18n`), over `locales/{en,ko}/*.ftl`.

pub use crate::i18n::Tr;
