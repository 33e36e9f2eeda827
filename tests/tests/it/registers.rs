//! Registers (台账) as builders, cases, staff and spreadsheets meet them, on both backends: a
//! `register` step adds a volunteer's hours to their row with the case's transition; staff add,
//! change and remove rows within their units, personal values masked without need to know;
//! a bad definition is refused at publish with pointers; an import with one bad line writes
//! nothing and names the line and column; every row's history is a hash chain `baida verify`
//! checks.

use baida_engine::verify::verify_all;
use baida_tests::reqwest::{Method, StatusCode};
use baida_tests::serde_json::{Value, json};
use baida_tests::{Backend, TOKEN, TestApp, both};

use super::verify::exec;

const ROWS: &str = "/api/v1/apps/volunteer-need/registers/volunteers/rows";

/// A volunteer need: the form names the volunteer and the hours served; a register step adds
/// the hours to the volunteer's row (made on first service) and appends the need to it.
fn volunteer_app() -> Value {
    json!({"id": "volunteer-need", "version": "1.0.0", "name": {"zh-CN": "亲邻微帮", "en": "Neighbour help"},
        "category": "people",
        "registers": [{"id": "volunteers", "name": {"zh-CN": "志愿者台账", "en": "Volunteers"}, "key": "phone",
            "fields": [
                {"key": "phone", "type": "phone", "label": {"zh-CN": "手机号", "en": "Phone"}, "required": true},
                {"key": "name", "type": "text", "label": {"zh-CN": "姓名", "en": "Name"}, "required": true},
                {"key": "team", "type": "select", "label": {"zh-CN": "服务队", "en": "Team"},
                 "options": [{"value": "elder", "label": {"zh-CN": "助老队", "en": "Elder care"}},
                             {"value": "repair", "label": {"zh-CN": "维修队", "en": "Repairs"}}]},
                {"key": "hours", "type": "number", "label": {"zh-CN": "服务时长", "en": "Hours"}, "min": 0},
                {"key": "active", "type": "yes_no", "label": {"zh-CN": "在岗", "en": "Active"}},
                {"key": "id_no", "type": "id_number", "label": {"zh-CN": "身份证号", "en": "ID number"}},
                {"key": "served", "type": "group", "label": {"zh-CN": "服务记录", "en": "Served"},
                 "fields": [{"key": "need", "type": "text"}, {"key": "hours", "type": "number"}]}
            ]}],
        "record": {"fields": [
            {"key": "need", "type": "text", "required": true},
            {"key": "volunteer_phone", "type": "phone", "required": true},
            {"key": "volunteer_name", "type": "text", "required": true},
            {"key": "hours", "type": "number", "required": true, "min": 0}]},
        "steps": [{"id": "ask", "block": "form", "config": {}},
                  {"id": "credit", "block": "register", "config": {"register": "volunteers", "action": "upsert",
                     "row": "record.volunteer_phone", "set": {"name": "record.volunteer_name"},
                     "add": {"hours": "record.hours"}, "append": {"served": "#{need: record.need, hours: record.hours}"}}}],
        "transitions": [{"from": "ask", "to": "credit"}]})
}

async fn publish(app: &TestApp, def: &Value) -> (StatusCode, Value) {
    let r = app.post("/api/v1/apps?owner=xinzhou").bearer_auth(TOKEN).json(def).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn serve(app: &TestApp, need: &str, phone: &str, hours: f64) -> Value {
    let answers = json!({"need": need, "volunteer_phone": phone, "volunteer_name": "李梅", "hours": hours});
    let (status, case) = app.submit("volunteer-need", "xinzhou-grid-1", answers).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

both!(a_step_adds_hours_to_the_volunteers_row_with_its_history, |app: TestApp| async move {
    let (status, published) = publish(&app, &volunteer_app()).await;
    assert_eq!(status, StatusCode::CREATED, "{published}");
    let first = serve(&app, "陪王奶奶就医", "13812345678", 2.0).await;
    serve(&app, "修水龙头", "13812345678", 1.5).await;
    let (_, case) = app.admin_get(&format!("/api/v1/cases/{}", first["id"].as_str().unwrap())).await;
    assert_eq!(case["status"], "closed", "{case}");

    let xinzhou = app.login("xinzhou").await;
    let (status, page) = xinzhou.get(ROWS).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1, "one volunteer, served twice: {page}");
    let row = &page["rows"][0];
    assert_eq!(row["values"]["hours"], 3.5);
    assert_eq!(row["values"]["name"], "李梅");
    assert_eq!(row["values"]["served"][1]["need"], "修水龙头");
    assert_eq!(row["grid_id"], "xinzhou-grid-1", "kept where the case was filed");

    let (status, one) = xinzhou.get(&format!("{ROWS}/{}", row["id"].as_str().unwrap())).await;
    assert_eq!(status, StatusCode::OK);
    let events = one["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["kind"], "row.created");
    assert_eq!(events[1]["data"]["before"]["hours"], 2);
    assert_eq!(events[1]["data"]["after"]["hours"], 3.5);
    assert!(events[0]["data"]["source"]["case"].is_string(), "each change names its case");

    // The case's timeline says what it wrote.
    let (_, events) = app.admin_get(&format!("/api/v1/cases/{}/events", first["id"].as_str().unwrap())).await;
    assert!(events.to_string().contains("register.written"), "{events}");

    // The history is a hash chain `baida verify` checks; an edit in the database is found.
    let store = app.running.store.clone();
    let report = verify_all(store.as_ref()).await.unwrap();
    assert_eq!((report.rows, report.row_events, report.broken_rows.len()), (1, 2, 0));
    let edit = match app.backend {
        Backend::Sqlite => {
            "UPDATE register_events SET data = json_set(data, '$.after.hours', 99) WHERE row_id = $1 AND seq = 2"
        }
        Backend::Postgres => {
            "UPDATE register_events SET data = jsonb_set(data, '{after,hours}', '99') WHERE row_id = $1 AND seq = 2"
        }
    };
    exec(&app, edit, row["id"].as_str().unwrap()).await;
    let report = verify_all(store.as_ref()).await.unwrap();
    assert_eq!(report.broken_rows.len(), 1, "an edited row event is found");
    assert_eq!(report.broken_rows[0].key, "13812345678");
});

both!(bad_registers_and_register_steps_are_refused_at_publish, |app: TestApp| async move {
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Change, &str, &str)> = vec![
        (Box::new(|d| d["registers"][0]["key"] = json!("mobile")), "/registers/0/key", "unknown_field"),
        (Box::new(|d| d["registers"][0]["key"] = json!("served")), "/registers/0/key", "bad_register_key"),
        (
            Box::new(|d| d["registers"][0]["access"] = json!({"read": ["wizard"]})),
            "/registers/0/access/read/0",
            "unknown_role",
        ),
        (
            Box::new(|d| d["steps"][1]["config"]["register"] = json!("elders")),
            "/steps/1/config/register",
            "unknown_register",
        ),
        (
            Box::new(|d| d["steps"][1]["config"]["add"] = json!({"name": "1"})),
            "/steps/1/config/add/name",
            "bad_register_write",
        ),
        (
            Box::new(|d| d["steps"][1]["config"]["set"] = json!({"phone": "record.volunteer_phone"})),
            "/steps/1/config/set/phone",
            "register_key_written",
        ),
        (
            Box::new(|d| d["steps"][1]["config"]["set"] = json!({"age": "1"})),
            "/steps/1/config/set/age",
            "unknown_field",
        ),
        (Box::new(|d| d["steps"][1]["config"]["row"] = json!("record.(")), "/steps/1/config/row", "script"),
        (Box::new(|d| d["steps"][1]["config"]["action"] = json!("merge")), "/steps/1/config/action", "schema"),
    ];
    for (change, pointer, code) in cases {
        let mut def = volunteer_app();
        change(&mut def);
        let (status, problem) = publish(&app, &def).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{pointer}: {problem}");
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{problem}");
        assert_eq!(problem["errors"][0]["code"], code, "{problem}");
        assert!(problem["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (status, _) = app.admin_get("/api/v1/apps/volunteer-need").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was published");
});

both!(staff_keep_rows_within_their_units_and_see_personal_values_masked_without_need, |app: TestApp| async move {
    assert_eq!(publish(&app, &volunteer_app()).await.0, StatusCode::CREATED);
    let grid1 = app.login("grid1").await;
    // Bad values: every problem named, nothing written.
    let (status, problem) = grid1
        .post(ROWS, json!({"unit": "xinzhou-grid-1", "values": {"phone": "12345", "hours": -1, "team": "choir"}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let pointers: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().filter_map(|e| e["pointer"].as_str()).collect();
    for p in ["/values/phone", "/values/name", "/values/hours", "/values/team"] {
        assert!(pointers.contains(&p), "{p} in {pointers:?}");
    }
    // Outside one's units: the grid worker of grid 1 cannot file a row in another community.
    let (status, _) =
        grid1.post(ROWS, json!({"unit": "tianan", "values": {"phone": "13812345678", "name": "李梅"}})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, made) = grid1
        .post(
            ROWS,
            json!({"unit": "xinzhou-grid-1", "values": {"phone": "138 1234 5678", "name": "李梅", "team": "elder"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["key"], "13812345678", "the key is the normalised phone");
    let id = made["id"].as_str().unwrap().to_string();
    let (status, _) =
        grid1.post(ROWS, json!({"unit": "xinzhou-grid-1", "values": {"phone": "13812345678", "name": "另一人"}})).await;
    assert_eq!(status, StatusCode::CONFLICT, "the key is taken in the community");

    // Another community's grid worker and a department do not see it; the street does, masked.
    let grid3 = app.login("grid3").await;
    let (status, _) = grid3.get(ROWS).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another community's app keeps no rows there");
    assert_eq!(grid3.get(&format!("{ROWS}/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.login("urban").await.get(ROWS).await.0, StatusCode::NOT_FOUND);
    let shatou = app.login("shatou").await;
    let (_, page) = shatou.get(&format!("{ROWS}?q=李梅")).await;
    assert_eq!(page["rows"][0]["values"]["phone"], "138****5678", "{page}");
    assert_eq!(page["rows"][0]["key"], "138****5678");
    assert_eq!(page["may"]["update"], false, "the street reads but does not edit by default");
    let (status, _) = shatou.send(Method::PATCH, &format!("{ROWS}/{id}"), json!({"values": {"name": "王"}})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A change checked against the revision seen; a stale one is refused.
    let (status, changed) =
        grid1.send(Method::PATCH, &format!("{ROWS}/{id}"), json!({"values": {"team": "repair"}, "revision": 1})).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["values"]["team"], "repair");
    assert_eq!(changed["values"]["name"], "李梅", "what was not sent stays");
    let (status, _) =
        grid1.send(Method::PATCH, &format!("{ROWS}/{id}"), json!({"values": {"team": "elder"}, "revision": 1})).await;
    assert_eq!(status, StatusCode::CONFLICT, "someone changed it since revision 1");
    let (status, _) =
        grid1.send(Method::PATCH, &format!("{ROWS}/{id}"), json!({"values": {"phone": "13900000000"}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the key does not change");

    // Search, filter and sort.
    grid1.post(ROWS, json!({"unit": "xinzhou-grid-1", "values": {"phone": "13700000001", "name": "张三", "team": "elder", "hours": 9}})).await;
    grid1.post(ROWS, json!({"unit": "xinzhou-grid-1", "values": {"phone": "13700000002", "name": "王五", "team": "elder", "hours": 10, "active": true}})).await;
    let (_, page) = grid1.get(&format!("{ROWS}?f.active=true")).await;
    assert_eq!(page["total"], 1, "a yes/no filter, the same on both backends: {page}");
    assert_eq!(page["rows"][0]["values"]["name"], "王五");
    let (_, page) = grid1.get(&format!("{ROWS}?f.team=elder&sort=-hours")).await;
    let names: Vec<&str> =
        page["rows"].as_array().unwrap().iter().filter_map(|r| r["values"]["name"].as_str()).collect();
    assert_eq!(names, ["王五", "张三"], "{page}");
    let (status, problem) = grid1.get(&format!("{ROWS}?sort=age")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // Someone who may change rows but sees personal values masked sends the form back as they
    // saw it: the masked value is no change, the real one stays.
    let mut def = volunteer_app();
    def["version"] = json!("1.1.0");
    def["registers"][0]["access"] = json!({"update": ["grid_worker", "community_admin", "street_admin"]});
    assert_eq!(publish(&app, &def).await.0, StatusCode::CREATED);
    let (status, seen) =
        grid1.send(Method::PATCH, &format!("{ROWS}/{id}"), json!({"values": {"id_no": "11010519491231002X"}})).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    let (_, masked) = shatou.get(&format!("{ROWS}/{id}")).await;
    let shown = masked["row"]["values"]["id_no"].clone();
    assert_ne!(shown, "11010519491231002X", "masked for the street: {masked}");
    let (status, body) = shatou
        .send(Method::PATCH, &format!("{ROWS}/{id}"), json!({"values": {"id_no": shown, "name": "李梅梅"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, real) = grid1.get(&format!("{ROWS}/{id}")).await;
    assert_eq!(real["row"]["values"]["id_no"], "11010519491231002X", "{real}");
    assert_eq!(real["row"]["values"]["name"], "李梅梅");

    // Removed: gone from the list, its history kept.
    let (status, _) = grid1.send(Method::DELETE, &format!("{ROWS}/{id}"), json!(null)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = grid1.get(&format!("{ROWS}?q=李梅")).await;
    assert_eq!(page["total"], 0);
    let report = verify_all(app.running.store.as_ref()).await.unwrap();
    assert_eq!(report.row_events, 7, "made, changed three times, removed, and two more rows");
    assert!(report.broken_rows.is_empty());
});

async fn import(app: &TestApp, who: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let staff = app.login(who).await;
    let unit = if who == "grid1" { "xinzhou-grid-1" } else { "xinzhou" };
    let r = staff
        .client
        .post(app.url(&format!("/api/v1/apps/volunteer-need/registers/volunteers/import?unit={unit}")))
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

both!(an_import_is_checked_whole_and_names_the_line_and_column, |app: TestApp| async move {
    assert_eq!(publish(&app, &volunteer_app()).await.0, StatusCode::CREATED);
    let good = "手机号,姓名,服务队,服务时长\n13800000001,李梅,助老队,2\n13800000002,=HYPERLINK(\"x\"),维修队,\n";
    // A grid worker may not import by default.
    assert_eq!(import(&app, "grid1", good.as_bytes().to_vec()).await.0, StatusCode::FORBIDDEN);

    let bad = "手机号,姓名,服务队,服务时长\n13800000001,李梅,助老队,2\n1380000,王五,合唱队,-3\n13800000001,重复,,\n";
    let (status, problem) = import(&app, "xinzhou", bad.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let errors = problem["errors"].as_array().unwrap();
    let pointers: Vec<&str> = errors.iter().filter_map(|e| e["pointer"].as_str()).collect();
    for p in ["/lines/3/phone", "/lines/3/team", "/lines/3/hours", "/lines/4/phone"] {
        assert!(pointers.contains(&p), "{p} in {pointers:?}");
    }
    let text = problem.to_string();
    assert!(text.contains("第 3 行") && text.contains("手机号"), "the line and the column in words: {text}");
    let xinzhou = app.login("xinzhou").await;
    assert_eq!(xinzhou.get(ROWS).await.1["total"], 0, "nothing was written");

    let (status, unknown) = import(&app, "xinzhou", "手机号,年龄\n13800000001,70\n".as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown["errors"][0]["code"], "unknown_column", "{unknown}");

    let (status, report) = import(&app, "xinzhou", good.as_bytes().to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report, json!({"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "ignored_columns": []}));
    // GBK, as Excel saves a CSV on a Chinese Windows; the same rows change nothing.
    let (gbk, _, _) = encoding_rs::GBK.encode(good);
    let (status, report) = import(&app, "xinzhou", gbk.into_owned()).await;
    assert_eq!((status, report["unchanged"].as_i64()), (StatusCode::OK, Some(2)), "{report}");

    // The export opens in a spreadsheet with Chinese headers and inert cells, and comes back.
    let r = xinzhou
        .client
        .get(app.url("/api/v1/apps/volunteer-need/registers/volunteers/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let csv = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(csv.starts_with("\u{feff}手机号,姓名,服务队,服务时长"), "{csv}");
    assert!(csv.contains("'=HYPERLINK"), "a formula stays text: {csv}");
    assert!(csv.contains("助老队"), "choices by their label: {csv}");
    let r = xinzhou
        .client
        .get(app.url("/api/v1/apps/volunteer-need/registers/volunteers/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let xlsx = r.bytes().await.unwrap().to_vec();
    assert!(xlsx.starts_with(b"PK"));
    let r = xinzhou
        .client
        .post(app.url("/api/v1/apps/volunteer-need/registers/volunteers/import?unit=xinzhou"))
        .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .body(xlsx)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let report: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["unchanged"], 2, "an XLSX text cell is never a formula, so it comes back as it was: {report}");
    assert_eq!(report["rows"], 2);
    assert_eq!(report["ignored_columns"], json!(["服务记录"]), "the steps' column is left as it is");
    // A grid worker of the community may not export by default.
    let grid1 = app.login("grid1").await;
    assert_eq!(grid1.get("/api/v1/apps/volunteer-need/registers/volunteers/export.csv").await.0, StatusCode::FORBIDDEN);
});

both!(the_register_pages_list_find_add_and_show_history, |app: TestApp| async move {
    assert_eq!(publish(&app, &volunteer_app()).await.0, StatusCode::CREATED);
    serve(&app, "陪王奶奶就医", "13812345678", 2.0).await;
    let grid1 = app.login("grid1").await;
    let get = |path: String| {
        let c = grid1.client.clone();
        let url = app.url(&path);
        async move {
            let r = c.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (status, list) = get("/work/registers".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("志愿者台账") && list.contains("volunteer-need&#x2F;volunteers"), "{list}");
    let (status, table) = get("/work/registers/volunteer-need/volunteers?q=李梅".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(table.contains("13812345678") && table.contains("第 1–1 行，共 1 行"), "{table}");
    // Add a row from the page's form; a bad phone names the field and writes nothing.
    let post = |body: &'static str| {
        let c = grid1.client.clone();
        let url = app.url("/work/registers/volunteer-need/volunteers");
        let origin = app.base.clone();
        async move {
            let r = c
                .post(url)
                .header("origin", origin.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (status, page) = post("_unit=xinzhou-grid-1&phone=123&name=%E5%BC%A0%E4%B8%89").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("什么也没有写入"), "{page}");
    let (status, _) = post("_unit=xinzhou-grid-1&phone=13700000001&name=%E5%BC%A0%E4%B8%89&team=elder").await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let (_, table) = get("/work/registers/volunteer-need/volunteers".into()).await;
    assert!(table.contains("张三") && table.contains("助老队"), "{table}");
    let (_, page) = grid1.get(&format!("{ROWS}?q=13812345678")).await;
    let id = page["rows"][0]["id"].as_str().unwrap().to_string();
    let (status, row) = get(format!("/work/registers/volunteer-need/volunteers/rows/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(row.contains("变更历史") && row.contains("来自案件"), "{row}");
});
