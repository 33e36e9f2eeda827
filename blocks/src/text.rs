//! Localized text: every name, label, help and message in Baida exists in zh-CN and may exist in English.
//!
//! In an app definition a label is either a plain string (taken as zh-CN) or an object
//! `{"zh-CN": "…", "en": "…"}`. English falls back to Chinese when it is missing.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The two languages Baida speaks. zh-CN is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// The BCP 47 tag, as used in `lang` attributes and `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a tag such as `en`, `en-US`, `zh`, `zh-CN`; anything else is `None`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, by quality.
    pub fn negotiate(accept_language: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }
}

/// A text in zh-CN, optionally in English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Text {
    /// A plain string, taken as zh-CN.
    Plain(String),
    /// Both languages.
    Localized {
        #[serde(rename = "zh-CN")]
        zh_cn: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        en: Option<String>,
    },
}

impl Text {
    /// A text with both languages.
    pub fn new(zh_cn: impl Into<String>, en: impl Into<String>) -> Text {
        Text::Localized { zh_cn: zh_cn.into(), en: Some(en.into()) }
    }

    /// The text in `lang`, falling back to zh-CN.
    pub fn get(&self, lang: Lang) -> &str {
        match (self, lang) {
            (Text::Plain(s), _) => s,
            (Text::Localized { en: Some(en), .. }, Lang::En) => en,
            (Text::Localized { zh_cn, .. }, _) => zh_cn,
        }
    }

    /// The zh-CN text.
    pub fn zh(&self) -> &str {
        self.get(Lang::ZhCn)
    }

    /// The English text, falling back to zh-CN.
    pub fn en(&self) -> &str {
        self.get(Lang::En)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::negotiate("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::negotiate("fr;q=1, zh-TW;q=0.5"), Some(Lang::ZhCn));
        assert_eq!(Lang::negotiate("zh-CN;q=0.4, en;q=0.7"), Some(Lang::En));
        assert_eq!(Lang::negotiate("fr, de"), None);
    }

    #[test]
    fn english_falls_back_to_chinese() {
        let t: Text = serde_json::from_str(r#""车牌号""#).unwrap();
        assert_eq!(t.get(Lang::En), "车牌号");
        let t: Text = serde_json::from_str(r#"{"zh-CN":"车牌号","en":"Plate"}"#).unwrap();
        assert_eq!(t.get(Lang::En), "Plate");
        assert_eq!(t.zh(), "车牌号");
    }
}
