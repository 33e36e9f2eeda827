//! The demo: an organisation tree and the reference apps from `templates-library`, loaded by
//! `baida serve --demo`. Loading is idempotent: a restart changes nothing that is already there.

use crate::apps::Apps;
use crate::store::{OrgUnit, Store};

/// The demo district: (id, kind, parent, zh-CN, en).
pub const UNITS: &[(&str, &str, Option<&str>, &str, &str)] = &[
    ("futian", "district", None, "福田区", "Futian District"),
    ("shatou", "street", Some("futian"), "沙头街道", "Shatou Street"),
    ("xiangmihu", "street", Some("futian"), "香蜜湖街道", "Xiangmihu Street"),
    ("xinzhou", "community", Some("shatou"), "新洲社区", "Xinzhou Community"),
    ("tianan", "community", Some("shatou"), "天安社区", "Tian'an Community"),
    ("xiangnan", "community", Some("xiangmihu"), "香南社区", "Xiangnan Community"),
    ("zhuzilin", "community", Some("xiangmihu"), "竹子林社区", "Zhuzilin Community"),
    ("xinzhou-grid-1", "grid", Some("xinzhou"), "新洲第一网格", "Xinzhou Grid 1"),
    ("xinzhou-grid-2", "grid", Some("xinzhou"), "新洲第二网格", "Xinzhou Grid 2"),
    ("urban-management", "department", Some("futian"), "城市管理和综合执法局", "Urban Management Bureau"),
    ("housing", "department", Some("futian"), "住房和建设局", "Housing and Construction Bureau"),
    ("traffic-police", "department", Some("futian"), "交警大队", "Traffic Police Brigade"),
    ("emergency-management", "department", Some("futian"), "应急管理局", "Emergency Management Bureau"),
    ("property-supervision", "department", Some("futian"), "物业监管科", "Property Supervision Office"),
    ("mediation-committee", "department", Some("futian"), "人民调解委员会", "People's Mediation Committee"),
    ("fire-safety", "department", Some("futian"), "消防救援大队", "Fire and Rescue Brigade"),
];

/// The demo responsibility list (权责清单): complaint category → department; `*` is the fallback.
pub const RESPONSIBILITIES: &[(&str, &str)] = &[
    ("noise", "urban-management"),
    ("parking", "traffic-police"),
    ("public_facility", "housing"),
    ("utilities", "housing"),
    ("greening", "urban-management"),
    ("*", "urban-management"),
];

/// Creates the demo tree and responsibility list, and publishes every reference app at the
/// district level.
pub async fn load(store: &dyn Store, apps: &Apps) -> anyhow::Result<()> {
    for (id, kind, parent, zh, en) in UNITS {
        store
            .put_org_unit(&OrgUnit {
                id: id.to_string(),
                kind: kind.to_string(),
                parent_id: parent.map(str::to_string),
                name_zh: zh.to_string(),
                name_en: en.to_string(),
                retired_at: None,
            })
            .await?;
    }
    if store.responsibilities().await?.is_empty() {
        for (category, department) in RESPONSIBILITIES {
            store.put_responsibility(category, department, chrono::Utc::now()).await?;
        }
    }
    for (file, doc) in baida_catalog::app_docs() {
        match apps.save(doc, "futian", "demo").await {
            Ok(saved) if saved.created => {
                tracing::info!(app = %saved.version.app_id, version = %saved.version.version, "demo app loaded")
            }
            Ok(_) => {}
            Err(e) => anyhow::bail!("the reference app {file} does not load: {e}"),
        }
    }
    Ok(())
}
