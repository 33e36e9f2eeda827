//! Figures (办理统计): the counts of `store::figures` over a period, grouped by app, department
//! or category, with the names of the groups' keys in both languages. The definitions are in
//! `docs/figures.md`; which cases are counted (the caller's scope) is in the query.

use std::collections::HashMap;

use baida_blocks::Text;
use baida_store::{Figures, FiguresQuery, GroupBy};

use crate::Engine;
use crate::apps;

/// The counted figures and the names of their groups' keys.
#[derive(Debug, Clone)]
pub struct Counted {
    pub figures: Figures,
    /// Key → its name, for the keys that have one.
    pub names: HashMap<String, Text>,
}

impl Engine {
    /// Counts the figures `query` asks for, and names the groups.
    pub async fn figures(&self, query: &FiguresQuery) -> Result<Counted, apps::Error> {
        let figures = self.store.figures(query).await?;
        let names = self.group_names(query.by, query.app_id.as_deref()).await?;
        Ok(Counted { figures, names })
    }

    /// The names of the groups' keys: apps by their names, departments by their units', and
    /// categories by the labels of each app's `category` choices (the chosen `app`'s win).
    async fn group_names(&self, by: GroupBy, app: Option<&str>) -> Result<HashMap<String, Text>, apps::Error> {
        let mut names = HashMap::new();
        match by {
            GroupBy::None => {}
            GroupBy::App => {
                for a in self.store.apps().await? {
                    if let Ok(name) = serde_json::from_value::<Text>(a.name.clone()) {
                        names.insert(a.app_id, name);
                    }
                }
            }
            GroupBy::Department => {
                for u in self.store.org_units().await? {
                    names.insert(u.id, Text::new(u.name_zh, u.name_en));
                }
            }
            GroupBy::Category => {
                let mut ids: Vec<String> = self.store.apps().await?.into_iter().map(|a| a.app_id).collect();
                ids.sort_by_key(|id| Some(id.as_str()) == app);
                for id in ids {
                    let Some(loaded) = self.apps.load(&id, None).await? else { continue };
                    for f in loaded.compiled.fields.iter().filter(|f| f.field.key == "category") {
                        for c in &f.choices {
                            names.insert(c.value().to_string(), c.label());
                        }
                    }
                }
            }
        }
        Ok(names)
    }
}
