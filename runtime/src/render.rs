//! Page rendering with tera. Templates are compiled into the binary and parsed once at start;
//! every template gets `lang`, the words of the page in that language (`t`) and the path for
//! switching language.

use baida_blocks::Lang;
use serde::Serialize;
use tera::{Context, Tera};

use crate::i18n::words;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("fields.html", include_str!("../templates/fields.html")),
    ("form.html", include_str!("../templates/form.html")),
    ("track.html", include_str!("../templates/track.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("message.html", include_str!("../templates/message.html")),
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
        let other = if lang == Lang::En { "zh-CN" } else { "en" };
        let sep = if path.contains('?') { '&' } else { '?' };
        ctx.insert("switch_lang_href", &format!("{path}{sep}lang={other}"));
        self.tera.render(template, &ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
