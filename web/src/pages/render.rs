//! Page rendering with tera. Templates are compiled into the binary and parsed once at start;
//! every template gets `lang`, the words of the page in that language (`t`) and the path for
//! switching language.

use baida_blocks::Lang;
use serde::Serialize;
use tera::{Context, Tera};

use crate::i18n::words;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("fields.html", include_str!("../../templates/fields.html")),
    ("form.html", include_str!("../../templates/form.html")),
    ("track.html", include_str!("../../templates/track.html")),
    ("home.html", include_str!("../../templates/home.html")),
    ("message.html", include_str!("../../templates/message.html")),
    ("figures.html", include_str!("../../templates/figures.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("resident_login.html", include_str!("../../templates/resident_login.html")),
    ("my.html", include_str!("../../templates/my.html")),
    ("admin.html", include_str!("../../templates/admin.html")),
    ("work.html", include_str!("../../templates/work.html")),
    ("work_case.html", include_str!("../../templates/work_case.html")),
    ("ledger.html", include_str!("../../templates/ledger.html")),
    ("dictionary.html", include_str!("../../templates/dictionary.html")),
    ("my_profile.html", include_str!("../../templates/my_profile.html")),
    ("my_home.html", include_str!("../../templates/my_home.html")),
    ("owners.html", include_str!("../../templates/owners.html")),
    ("registers.html", include_str!("../../templates/registers.html")),
    ("register.html", include_str!("../../templates/register.html")),
    ("register_row.html", include_str!("../../templates/register_row.html")),
    ("proposals.html", include_str!("../../templates/proposals.html")),
    ("proposal.html", include_str!("../../templates/proposal.html")),
    ("catalog.html", include_str!("../../templates/catalog.html")),
    ("catalog_app.html", include_str!("../../templates/catalog_app.html")),
    ("catalog_review.html", include_str!("../../templates/catalog_review.html")),
    ("catalog_upgrade.html", include_str!("../../templates/catalog_upgrade.html")),
    ("api_docs.html", include_str!("../../templates/api_docs.html")),
];

/// The parsed templates.
pub struct Pages {
    tera: Tera,
}

impl Pages {
    /// Parses every template; a broken template is a bug caught at start and by tests.
    pub fn new() -> Result<Pages, tera::Error> {
        let mut tera = Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied())?;
        tera.autoescape_on(vec![".html"]);
        Ok(Pages { tera })
    }

    /// Renders `template` with `data` (whose fields become top-level variables).
    pub fn render(&self, template: &str, lang: Lang, path: &str, data: &impl Serialize) -> Result<String, tera::Error> {
        let mut ctx = Context::from_serialize(data)?;
        ctx.insert("lang", lang.tag());
        ctx.insert("t", &words(lang));
        ctx.insert("switch_lang_href", &switch_lang_href(path, lang));
        self.tera.render(template, &ctx)
    }
}

/// `path` with its `lang` parameter set to the other language (any earlier one removed).
pub fn switch_lang_href(path: &str, lang: Lang) -> String {
    let other = if lang == Lang::En { "zh-CN" } else { "en" };
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty() && !p.starts_with("lang=")).collect();
    let lang_param = format!("lang={other}");
    params.push(&lang_param);
    format!("{base}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_link_replaces_the_current_language() {
        assert_eq!(switch_lang_href("/a/x/y", Lang::ZhCn), "/a/x/y?lang=en");
        assert_eq!(switch_lang_href("/my/cases/1?t=abc&lang=en", Lang::En), "/my/cases/1?t=abc&lang=zh-CN");
        assert_eq!(switch_lang_href("/?lang=en&lang=en", Lang::En), "/?lang=zh-CN");
    }

    #[test]
    fn templates_parse_and_escape() {
        let pages = Pages::new().unwrap();
        let html = pages
            .render(
                "message.html",
                Lang::ZhCn,
                "/x",
                &serde_json::json!({"title": "<script>alert(1)</script>", "detail": "\"><img onerror=x>"}),
            )
            .unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "{html}");
        assert!(!html.contains("<img onerror"), "{html}");
        assert!(html.contains(r#"lang="zh-CN""#));
    }
}
