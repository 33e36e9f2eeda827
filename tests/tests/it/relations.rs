//! Relation fields (关联台账), on both backends: a resident's form offers the free parking
//! spaces of their community; the case keeps the row as it was (a forged row sent with the
//! answer is never kept as sent); a space taken, one that is not free, or a made-up id is
//! refused at the field; removing the row later leaves the case as it was.

use baida_tests::reqwest::StatusCode;
use baida_tests::serde_json::{Value, json};
use baida_tests::{TOKEN, TestApp, both};

const ROWS: &str = "/api/v1/apps/parking-permit/registers/spaces/rows";

/// The example of `docs/app-definition.md` (the `relation` field type), as written there.
fn permit_app() -> Value {
    serde_json::from_str(EXAMPLE).expect("the documented example is JSON")
}

const EXAMPLE: &str = r#"{
  "id": "parking-permit",
  "version": "1.0.0",
  "name": { "zh-CN": "车位申请", "en": "Parking permit" },
  "category": "vehicles-parking",
  "access": { "submit": "resident" },
  "registers": [
    { "id": "spaces", "name": { "zh-CN": "车位台账", "en": "Parking spaces" }, "key": "space_no",
      "fields": [
        { "key": "space_no", "type": "text", "label": { "zh-CN": "车位号", "en": "Space" }, "required": true },
        { "key": "area", "type": "text", "label": { "zh-CN": "区域", "en": "Area" } },
        { "key": "free", "type": "yes_no", "label": { "zh-CN": "空闲", "en": "Free" } }
      ] }
  ],
  "record": {
    "fields": [
      { "key": "space", "type": "relation", "label": { "zh-CN": "车位", "en": "Space" }, "required": true,
        "register": "spaces", "filter": "row.free == true", "show": ["area"] },
      { "key": "plate", "dict": "vehicle.plate_number", "required": true }
    ]
  },
  "steps": [
    { "id": "apply", "block": "form", "config": {} },
    { "id": "take", "block": "register", "config": { "register": "spaces", "action": "update",
        "row": "record.space.key", "set": { "free": "false" } } }
  ],
  "transitions": [{ "from": "apply", "to": "take" }]
}"#;

async fn apply(resident: &baida_tests::reqwest::Client, app: &TestApp, space: Value) -> (StatusCode, Value) {
    let r = resident
        .post(app.url("/api/v1/apps/parking-permit/submissions"))
        .json(&json!({"community": "xinzhou", "answers": {"space": space, "plate": "粤B12345"}}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

both!(a_relation_offers_free_spaces_and_the_case_keeps_the_row_as_it_was, |app: TestApp| async move {
    let r = app.post("/api/v1/apps?owner=xinzhou").bearer_auth(TOKEN).json(&permit_app()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let xinzhou = app.login("xinzhou").await;
    let mut ids = std::collections::HashMap::new();
    for (no, area, free) in [("A-1", "东区", true), ("A-2", "西区", true), ("A-3", "北区", false)] {
        let (status, row) = xinzhou
            .post(ROWS, json!({"unit": "xinzhou", "values": {"space_no": no, "area": area, "free": free}}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{row}");
        ids.insert(no, row["id"].as_str().unwrap().to_string());
    }
    // The form lists the free spaces of the community, by key and area.
    let resident = app.resident("13912345678").await;
    let page = resident.get(app.url("/a/xinzhou/parking-permit")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("A-1 · 东区") && page.contains("A-2 · 西区"), "{page}");
    assert!(!page.contains("A-3"), "a space that is not free is not offered");

    // A-1 applied for: the case keeps the row; the register step takes the space.
    let (status, case) = apply(&resident, &app, json!(ids["A-1"])).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{}", case["id"].as_str().unwrap())).await;
    assert_eq!(case["record"]["space"], json!({"row": ids["A-1"], "key": "A-1", "values": {"area": "东区"}}));
    let (_, a1) = xinzhou.get(&format!("{ROWS}/{}", ids["A-1"])).await;
    assert_eq!(a1["row"]["values"]["free"], false, "{a1}");

    // Taken, not free, or made up: refused at the field, nothing filed.
    for space in [json!(ids["A-1"]), json!(ids["A-3"]), json!("no-such-row")] {
        let (status, problem) = apply(&resident, &app, space.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{space}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], "/space", "{problem}");
        assert_eq!(problem["errors"][0]["code"], "unknown_row", "{problem}");
    }
    // A forged row sent with the answer: the row as it is is kept, not what was sent.
    let forged = json!({"row": ids["A-2"], "key": "VIP-1", "values": {"area": "贵宾区", "owner": "someone"}});
    let (status, case) = apply(&resident, &app, forged).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().unwrap().to_string();
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["record"]["space"], json!({"row": ids["A-2"], "key": "A-2", "values": {"area": "西区"}}));

    // The row removed later: the case still shows what it linked.
    let (status, _) =
        xinzhou.send(baida_tests::reqwest::Method::DELETE, &format!("{ROWS}/{}", ids["A-2"]), json!(null)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(case["record"]["space"]["key"], "A-2");
});

both!(rows_are_kept_only_where_the_app_is_offered, |app: TestApp| async move {
    let r = app.post("/api/v1/apps?owner=xinzhou").bearer_auth(TOKEN).json(&permit_app()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Another community's admin holds the same role, but the app is not theirs.
    let tianan = app.login("tianan").await;
    let (status, _) = tianan.post(ROWS, json!({"unit": "tianan", "values": {"space_no": "T-1", "free": true}})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no register of another community's app");
    let (status, list) = tianan.get("/api/v1/registers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.to_string().contains("parking-permit"), "{list}");
    // Nor does the operator's token put rows outside it.
    let r = app
        .post(ROWS)
        .bearer_auth(TOKEN)
        .json(&json!({"unit": "tianan", "values": {"space_no": "T-1", "free": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "the register is not kept there");
});

both!(a_public_picker_never_lists_a_phone_number, |app: TestApp| async move {
    let def = json!({"id": "helper-pick", "version": "1.0.0", "name": "找志愿者", "category": "people",
        "registers": [{"id": "volunteers", "name": "志愿者", "key": "phone",
            "fields": [{"key": "phone", "type": "phone", "required": true}, {"key": "name", "type": "text"}]}],
        "record": {"fields": [{"key": "helper", "type": "relation", "register": "volunteers", "show": ["name"]}]},
        "steps": [{"id": "ask", "block": "form", "config": {}}]});
    let r = app.post("/api/v1/apps?owner=xinzhou").bearer_auth(TOKEN).json(&def).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let xinzhou = app.login("xinzhou").await;
    let (status, _) = xinzhou
        .post(
            "/api/v1/apps/helper-pick/registers/volunteers/rows",
            json!({"unit": "xinzhou", "values": {"phone": "13812345678", "name": "李梅"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let page = app.get("/a/xinzhou/helper-pick").send().await.unwrap().text().await.unwrap();
    assert!(page.contains("138****5678 · 李梅"), "{page}");
    assert!(!page.contains("13812345678"), "the key is a phone number: masked on a public form");
    // The case keeps the row; whoever reads the case without need to know sees the link masked.
    let (_, rows) = xinzhou.get("/api/v1/apps/helper-pick/registers/volunteers/rows").await;
    let row = rows["rows"][0]["id"].as_str().unwrap().to_string();
    let (status, case) = app.submit("helper-pick", "xinzhou", json!({"helper": row})).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let id = case["id"].as_str().unwrap().to_string();
    let (_, full) = xinzhou.get(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(full["record"]["helper"]["key"], "13812345678", "the community's admin needs to know: {full}");
    let (_, masked) = app.login("shatou").await.get(&format!("/api/v1/cases/{id}")).await;
    assert!(!masked.to_string().contains("13812345678"), "the street does not: {masked}");
});
