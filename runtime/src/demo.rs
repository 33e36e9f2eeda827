//! The demo: an organisation tree, its people (one account per role, all with the password
//! [`PASSWORD`]) and the reference apps from `templates-library`, loaded by
//! `baida serve --demo`, each published in the district catalog ([`publish`]). Loading is idempotent: a restart changes nothing that is already there.

use baida_core::kinds::UnitKind;
use std::collections::HashMap;

use baida_blocks::Text;

use baida_engine::apps::Apps;
use baida_engine::auth::Role;
use baida_engine::catalog::{Catalog, NewSubmission};
use baida_engine::org;
use baida_store::{NewUser, OrgUnit, Store};

/// The demo district: (id, kind, parent, zh-CN, en).
pub const UNITS: &[(&str, UnitKind, Option<&str>, &str, &str)] = &[
    ("futian", UnitKind::District, None, "福田区", "Futian District"),
    ("shatou", UnitKind::Street, Some("futian"), "沙头街道", "Shatou Street"),
    ("xiangmihu", UnitKind::Street, Some("futian"), "香蜜湖街道", "Xiangmihu Street"),
    ("xinzhou", UnitKind::Community, Some("shatou"), "新洲社区", "Xinzhou Community"),
    ("tianan", UnitKind::Community, Some("shatou"), "天安社区", "Tian'an Community"),
    ("xiangnan", UnitKind::Community, Some("xiangmihu"), "香南社区", "Xiangnan Community"),
    ("zhuzilin", UnitKind::Community, Some("xiangmihu"), "竹子林社区", "Zhuzilin Community"),
    ("xinzhou-grid-1", UnitKind::Grid, Some("xinzhou"), "新洲第一网格", "Xinzhou Grid 1"),
    ("xinzhou-grid-2", UnitKind::Grid, Some("xinzhou"), "新洲第二网格", "Xinzhou Grid 2"),
    ("tianan-grid-1", UnitKind::Grid, Some("tianan"), "天安第一网格", "Tian'an Grid 1"),
    ("xiangnan-grid-1", UnitKind::Grid, Some("xiangnan"), "香南第一网格", "Xiangnan Grid 1"),
    ("zhuzilin-grid-1", UnitKind::Grid, Some("zhuzilin"), "竹子林第一网格", "Zhuzilin Grid 1"),
    ("urban-management", UnitKind::Department, Some("futian"), "城市管理和综合执法局", "Urban Management Bureau"),
    ("housing", UnitKind::Department, Some("futian"), "住房和建设局", "Housing and Construction Bureau"),
    ("traffic-police", UnitKind::Department, Some("futian"), "交警大队", "Traffic Police Brigade"),
    ("emergency-management", UnitKind::Department, Some("futian"), "应急管理局", "Emergency Management Bureau"),
    ("property-supervision", UnitKind::Department, Some("futian"), "物业监管科", "Property Supervision Office"),
    ("mediation-committee", UnitKind::Department, Some("futian"), "人民调解委员会", "People's Mediation Committee"),
    ("fire-safety", UnitKind::Department, Some("futian"), "消防救援大队", "Fire and Rescue Brigade"),
];

/// The demo password of every demo account (printed by `baida serve --demo`).
pub const PASSWORD: &str = "Baida-demo-2026";

/// The demo people: (username, name, phone, home unit, role).
pub const PEOPLE: &[(&str, &str, &str, &str, Role)] = &[
    ("district", "区管理员 周敏", "13900000001", "futian", Role::DistrictAdmin),
    ("shatou", "沙头街道 陈立", "13900000002", "shatou", Role::StreetAdmin),
    ("xiangmihu", "香蜜湖街道 黄欣", "13900000003", "xiangmihu", Role::StreetAdmin),
    ("xinzhou", "新洲社区 林芳", "13900000004", "xinzhou", Role::CommunityAdmin),
    ("tianan", "天安社区 吴强", "13900000005", "tianan", Role::CommunityAdmin),
    ("xiangnan", "香南社区 郑丽", "13900000006", "xiangnan", Role::CommunityAdmin),
    ("grid1", "网格员 王磊", "13900000007", "xinzhou-grid-1", Role::GridWorker),
    ("grid2", "网格员 李娜", "13900000008", "xinzhou-grid-2", Role::GridWorker),
    ("grid3", "网格员 张伟", "13900000013", "tianan-grid-1", Role::GridWorker),
    ("grid4", "网格员 杨静", "13900000014", "xiangnan-grid-1", Role::GridWorker),
    ("urban", "城管局 赵刚", "13900000009", "urban-management", Role::DepartmentHandler),
    ("housing", "住建局 孙悦", "13900000010", "housing", Role::DepartmentHandler),
    ("traffic", "交警大队 何伟", "13900000011", "traffic-police", Role::DepartmentHandler),
    ("builder", "应用搭建 刘洋", "13900000012", "futian", Role::AppBuilder),
    ("xzbuilder", "新洲社区 应用搭建 陈晨", "13900000015", "xinzhou", Role::AppBuilder),
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

/// The scenario of the data dictionary each reference app serves, for the catalog.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("minyi-suban", "complaint"),
    ("xinlin-huhang", "new-resident"),
    ("nuoche-e-zhan", "move-car"),
    ("ti-ping-jue-fu", "ledger"),
];

/// Creates the demo tree and responsibility list, saves every reference app at the district
/// level and publishes it in the district catalog.
pub async fn load(store: &dyn Store, apps: &Apps) -> anyhow::Result<()> {
    for (id, kind, parent, zh, en) in UNITS {
        store
            .put_org_unit(&OrgUnit {
                id: id.to_string(),
                kind: *kind,
                parent_id: parent.map(str::to_string),
                name_zh: zh.to_string(),
                name_en: en.to_string(),
                retired_at: None,
            })
            .await?;
    }
    let tree: HashMap<String, OrgUnit> = store.org_units().await?.into_iter().map(|u| (u.id.clone(), u)).collect();
    let now = chrono::Utc::now();
    // One hash for all demo accounts: hashing is deliberately slow, and a demo starts often.
    let mut hash = None;
    for (username, name, phone, unit, role) in PEOPLE {
        if store.credentials(username).await?.is_some() {
            continue;
        }
        let hash = hash.get_or_insert_with(|| baida_engine::auth::password::hash(PASSWORD)).clone();
        let user = store
            .create_user(&NewUser {
                id: uuid::Uuid::now_v7().to_string(),
                username: username.to_string(),
                phone: Some(phone.to_string()),
                name: name.to_string(),
                unit_id: unit.to_string(),
                password_hash: hash,
                at: now,
            })
            .await?;
        org::grant(store, &tree, &user.id, *role, unit, "demo", now).await?;
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
    ledger(store, now).await
}

/// Every community's standard accounts, and a few months of income for 新洲社区 so that its
/// open ledger (`/ledger/xinzhou`) has something to show; booked as one recorded import.
async fn ledger(store: &dyn Store, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    use baida_core::ledger::entry::{ACCOUNT_KINDS, Amount, Direction, NewEntry, Source};
    use baida_store::ledger::EntryFilter;
    let kinds: Vec<&str> = ACCOUNT_KINDS.iter().map(|(k, _, _)| *k).collect();
    for (id, kind, ..) in UNITS {
        if *kind == UnitKind::Community {
            store.open_accounts(id, &kinds, now).await?;
        }
    }
    let filter = EntryFilter { community: Some("xinzhou".into()), limit: Some(1), ..Default::default() };
    if !store.entries(&filter).await?.is_empty() {
        return Ok(());
    }
    let rows = [
        ("2026-09-30", "property_fees", "2026 年 9 月物业费", "新洲花园业主", "186400.00"),
        ("2026-10-31", "property_fees", "2026 年 10 月物业费", "新洲花园业主", "183950.00"),
        ("2026-10-15", "public_income", "电梯广告位租金（第三季度）", "城市传媒有限公司", "24000.00"),
        ("2026-10-20", "public_income", "地面停车位临停收入（10 月）", "停车场收费系统", "31280.50"),
        ("2026-11-01", "maintenance_fund", "维修资金年度划入", "福田区住房和建设局", "120000.00"),
    ];
    let at = NewEntry::now(now);
    let entries: Vec<NewEntry> = rows
        .iter()
        .map(|(date, account, purpose, counterparty, amount)| NewEntry {
            id: uuid::Uuid::now_v7().to_string(),
            community_id: "xinzhou".into(),
            account: account.to_string(),
            direction: Direction::Income,
            amount: Amount::parse(amount).unwrap_or_default(),
            booked_on: chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap_or_default(),
            counterparty: counterparty.to_string(),
            purpose: format!("{purpose}（演示数据 demo data）"),
            evidence: Vec::new(),
            case_id: None,
            source: Source::Import,
            created_by: "demo".into(),
            created_at: at,
        })
        .collect();
    store.book(&entries).await?;
    Ok(())
}

/// Publishes every reference app in the catalog (by `demo`, with no review: nobody submitted
/// them), unless that version is there already.
pub async fn publish(catalog: &Catalog, store: &dyn Store) -> anyhow::Result<()> {
    let known = store.submissions(None, None).await?;
    for (file, doc) in baida_catalog::app_docs() {
        let id = doc["id"].as_str().unwrap_or_default().to_string();
        let Some(version) = store.app_version(&id, None).await? else { continue };
        if known.iter().any(|s| s.app_id == id && s.version == version.version) {
            continue;
        }
        let description: Text =
            serde_json::from_value(doc["description"].clone()).unwrap_or_else(|_| Text::new(&id, &id));
        let new = NewSubmission {
            app_id: id.clone(),
            version: Some(version.version.clone()),
            description,
            category: None,
            scenario: SCENARIOS.iter().find(|(a, _)| *a == id).map(|(_, s)| s.to_string()),
            changelog: Text::new("百搭参考应用，首次发布", "Baida reference app, first release"),
            screenshots: Vec::new(),
            uploader: None,
        };
        // Baida's own apps: published as shipped, with no community submission to review.
        catalog.publish_reference(new, "demo").await.map_err(|e| anyhow::anyhow!("publishing {file}: {e}"))?;
        tracing::info!(app = %id, version = %version.version, "demo app published in the catalog");
    }
    Ok(())
}
