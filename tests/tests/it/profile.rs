//! Enter once, many share: a logged-in resident who consents files 民意速办 with their name and
//! phone; opening 新邻护航 shows them pre-filled with a note saying where they came from, the
//! read is recorded, and a corrected value updates the profile. Without consent nothing is kept
//! or filled; sensitive fields need the higher consent.

use baida_engine::auth::session;
use baida_store::Session;
use baida_tests::reqwest::multipart::Form;
use baida_tests::reqwest::{Client, StatusCode, header, redirect};
use baida_tests::serde_json::json;
use baida_tests::{TestApp, both};

/// A browser logged in as the resident with this phone number (the session made as the SMS
/// log-in makes it).
async fn resident(app: &TestApp, phone: &str) -> Client {
    let store = &app.running.store;
    let now = chrono::Utc::now();
    let r = store.resident(phone, now).await.unwrap();
    let id = baida_core::secret::token();
    let s = Session {
        user_id: None,
        resident_id: Some(r.id),
        created_at: now,
        expires_at: now + chrono::Duration::days(1),
    };
    store.create_session(&session::digest(&id), &s).await.unwrap();
    let mut headers = header::HeaderMap::new();
    headers.insert(header::COOKIE, format!("{}={id}", session::COOKIE).parse().unwrap());
    Client::builder().default_headers(headers).redirect(redirect::Policy::none()).build().unwrap()
}

async fn consent(app: &TestApp, client: &Client, level: &str) {
    consent_with(app, client, &[("level", level)]).await
}

/// Posts the consent form: the level, and `("assisted", "on")` to let staff read the profile
/// when filling in for the resident.
async fn consent_with(app: &TestApp, client: &Client, form: &[(&str, &str)]) {
    let r = client
        .post(app.url("/my/profile"))
        .header("origin", app.url("").trim_end_matches('/'))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

async fn file_minyi(app: &TestApp, client: &Client, name: &str, phone: &str) {
    let form = Form::new()
        .text("category", "city_appearance")
        .text("subcategory", "garbage")
        .text("title", "东门垃圾没人清运")
        .text("description", "东门垃圾桶满溢已经三天了，气味很大")
        .text("location.lon", "114.0513")
        .text("location.lat", "22.5121")
        .text("location.address", "新洲花园东门")
        .text("anonymous", "no")
        .text("contact_name", name.to_string())
        .text("contact_phone", phone.to_string());
    let r = client.post(app.url("/a/xinzhou/minyi-suban")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

async fn html(app: &TestApp, client: &Client, path: &str) -> String {
    let r = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.unwrap()
}

both!(a_profile_fills_a_second_app_with_consent_and_only_then, |app: TestApp| async move {
    // With consent.
    let li = resident(&app, "13812345678").await;
    consent(&app, &li, "personal").await;
    file_minyi(&app, &li, "李明", "13812345678").await;
    let form = html(&app, &li, "/a/xinzhou/xinlin-huhang").await;
    assert!(form.contains(r#"id="profile-note""#) && form.contains("来自您的个人档案"), "{form}");
    assert!(form.contains(r#"value="李明""#) && form.contains("13812345678"), "{form}");
    // Every read is recorded, and shown to the resident.
    let mine = html(&app, &li, "/my/profile").await;
    assert!(mine.contains(r#"id="profile-reads""#) && mine.contains("新邻护航"), "{mine}");
    assert!(mine.contains("李明"), "{mine}");
    // A corrected value replaces the old one.
    file_minyi(&app, &li, "李明华", "13812345678").await;
    let form = html(&app, &li, "/a/xinzhou/nuoche-e-zhan").await;
    assert!(form.contains("13812345678") && form.contains(r#"id="profile-note""#), "{form}");
    let mine = html(&app, &li, "/my/profile").await;
    assert!(mine.contains("李明华"), "{mine}");
    // Sensitive fields are not shared under "personal": the ID number is never stored.
    let profile = app.running.store.profile(&resident_id(&app, "13812345678").await).await.unwrap();
    assert!(profile.iter().all(|v| v.dict_key != "people.id_number"), "{profile:?}");
    // Only what describes the resident is kept, not what the case was about.
    let keys: Vec<&str> = profile.iter().map(|v| v.dict_key.as_str()).collect();
    assert_eq!(keys, ["people.name", "people.phone"]);

    // Without consent: nothing is kept, nothing is filled.
    let wang = resident(&app, "13912345678").await;
    file_minyi(&app, &wang, "王芳", "13912345678").await;
    let form = html(&app, &wang, "/a/xinzhou/xinlin-huhang").await;
    assert!(!form.contains(r#"id="profile-note""#) && !form.contains("王芳"), "{form}");
    assert!(app.running.store.profile(&resident_id(&app, "13912345678").await).await.unwrap().is_empty());
    // Withdrawing consent forgets what was kept.
    consent(&app, &li, "none").await;
    let form = html(&app, &li, "/a/xinzhou/xinlin-huhang").await;
    assert!(!form.contains(r#"id="profile-note""#) && !form.contains("李明华"), "{form}");
    // Nobody else fills from it: an anonymous visitor sees an empty form.
    let form = app.get("/a/xinzhou/xinlin-huhang").send().await.unwrap().text().await.unwrap();
    assert!(!form.contains(r#"id="profile-note""#));
});

async fn resident_id(app: &TestApp, phone: &str) -> String {
    app.running.store.resident(phone, chrono::Utc::now()).await.unwrap().id
}

/// Declares the resident's home on `/my/home`.
async fn declare_home(app: &TestApp, client: &Client, community: &str, building: &str, room: &str) {
    let r = client
        .post(app.url("/my/home"))
        .header("origin", app.url("").trim_end_matches('/'))
        .form(&[("community", community), ("building", building), ("room", room)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
}

/// 新邻护航 as a resident fills it: name, ID number and phone (theirs), the move-in date,
/// address and tenure (their household's).
fn xinlin_form(name: &str, phone: &str, address: &str) -> Form {
    Form::new()
        .text("name", name.to_string())
        .text("id_number", "11010519491231002X")
        .text("phone", phone.to_string())
        .text("move_in_date", "2026-10-01")
        .text("address", address.to_string())
        .text("tenure", "owner")
        .text("consent", "yes")
}

/// The community confirms the resident at their declared home (the register on `/work/owners`).
async fn confirm_home(app: &TestApp, phone: &str) {
    let admin = app.login("xinzhou").await;
    let id = resident_id(app, phone).await;
    let (status, body) = admin.post(&format!("/api/v1/communities/xinzhou/owners/{id}/confirm"), json!({})).await;
    assert!(status.is_success(), "{status} {body}");
}

both!(a_household_shares_its_facts_and_only_its_own, |app: TestApp| async move {
    // Two residents of 3号楼 1201, and a neighbour across the landing; all consent.
    let (li, mei, zhao) =
        (resident(&app, "13812340001").await, resident(&app, "13812340002").await, resident(&app, "13812340003").await);
    for (c, room) in [(&li, "1201"), (&mei, "1201"), (&zhao, "1202")] {
        consent(&app, c, "personal").await;
        declare_home(&app, c, "xinzhou", "3号楼", room).await;
    }
    let address = "新洲花园 3号楼 1201";
    let li_files = |address: &'static str| {
        li.post(app.url("/a/xinzhou/xinlin-huhang")).multipart(xinlin_form("李明", "13812340001", address)).send()
    };
    // A declared home anyone could type shares nothing until the community confirms it: Li's
    // household facts stay in his own profile, and Mei (who only declared the flat) sees none.
    let r = li_files(address).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let form = html(&app, &mei, "/a/xinzhou/xinlin-huhang").await;
    assert!(!form.contains(address), "an unconfirmed home shares nothing: {form}");
    let mine = html(&app, &mei, "/my/profile").await;
    assert!(mine.contains(r#"id="home-unconfirmed""#) && !mine.contains(address), "{mine}");
    for phone in ["13812340001", "13812340002", "13812340003"] {
        confirm_home(&app, phone).await;
    }
    let r = li_files(address).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    // Li's own profile keeps his name and phone; the household's keeps the address and tenure.
    let li_id = resident_id(&app, "13812340001").await;
    let household_of_1201 =
        baida_store::Household { community_id: "xinzhou".into(), building: "3号楼".into(), room: "1201".into() };
    let shared = app.running.store.household_profile(&household_of_1201).await.unwrap();
    let mut shared_keys: Vec<&str> = shared.iter().map(|v| v.dict_key.as_str()).collect();
    shared_keys.sort();
    assert_eq!(shared_keys, ["household.address", "household.move_in_date", "household.tenure"]);
    // Mei, in the same flat, finds the household's facts filled, not Li's own.
    let form = html(&app, &mei, "/a/xinzhou/xinlin-huhang").await;
    assert!(form.contains("来自您家庭的共享档案") && form.contains(address), "{form}");
    assert!(!form.contains("李明") && !form.contains("13812340001"), "{form}");
    let mine = html(&app, &mei, "/my/profile").await;
    assert!(mine.contains(r#"id="household-values""#) && mine.contains(address) && mine.contains("家人填写"), "{mine}");
    // The neighbour's household is another: nothing filled.
    let form = html(&app, &zhao, "/a/xinzhou/xinlin-huhang").await;
    assert!(!form.contains(r#"id="profile-note""#) && !form.contains(address), "{form}");
    // Mei enters another address: it never silently replaces Li's. She keeps hers (her own
    // profile fills her next form); Li and the household keep his.
    let other = "新洲花园 3号楼 1201 室";
    let r = mei
        .post(app.url("/a/xinzhou/xinlin-huhang"))
        .multipart(xinlin_form("陈美", "13812340002", other))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let form = html(&app, &li, "/a/xinzhou/xinlin-huhang").await;
    assert!(form.contains(address) && !form.contains(other) && form.contains("李明"), "{form}");
    let form = html(&app, &mei, "/a/xinzhou/xinlin-huhang").await;
    assert!(form.contains(other), "{form}");
    let shared = app.running.store.household_profile(&household_of_1201).await.unwrap();
    let kept = shared.iter().find(|v| v.dict_key == "household.address").unwrap();
    assert_eq!((kept.value.as_str(), kept.entered_by.as_deref()), (Some(address), Some(li_id.as_str())));
    // Li withdraws consent: what he entered goes.
    consent(&app, &li, "none").await;
    let household = app.running.store.household_profile(&household_of_1201).await.unwrap();
    assert!(household.iter().all(|v| v.entered_by.as_deref() != Some(li_id.as_str())), "{household:?}");
    let form = html(&app, &li, "/a/xinzhou/xinlin-huhang").await;
    assert!(!form.contains(r#"id="profile-note""#), "no consent, nothing filled: {form}");
});

both!(a_grid_worker_fills_in_for_a_resident_with_their_profile, |app: TestApp| async move {
    let li = resident(&app, "13812340011").await;
    consent(&app, &li, "personal").await;
    declare_home(&app, &li, "xinzhou", "5号楼", "302").await;
    confirm_home(&app, "13812340011").await;
    file_minyi(&app, &li, "李明", "13812340011").await;
    // The grid worker finds Li by the phone number of his declared home; sharing between apps
    // does not let staff read his profile: he has to allow that too.
    let worker = app.login("grid1").await;
    let path = "/a/xinzhou-grid-1/xinlin-huhang";
    // The workbench lists the residents' forms of the worker's grid, not staff-only ones.
    let work = worker.client.get(app.url("/work")).send().await.unwrap().text().await.unwrap();
    assert!(work.contains(r#"id="assist-forms""#) && work.contains(&format!(r#"href="{path}""#)), "{work}");
    assert!(!work.contains("/a/xinzhou-grid-1/catalog-review"), "{work}");
    let r = worker.client.get(app.url(path)).send().await.unwrap();
    let form = r.text().await.unwrap();
    assert!(form.contains(r#"id="assist""#) && !form.contains(r#"id="profile-note""#), "{form}");
    let r =
        worker.client.post(app.url(&format!("{path}/assist"))).form(&[("for", "13812340011")]).send().await.unwrap();
    let form = r.text().await.unwrap();
    assert!(form.contains("其未允许工作人员代填时读取档案") && !form.contains("李明"), "{form}");
    assert!(form.contains(r#"name="_for""#), "the case is still his: {form}");
    consent_with(&app, &li, &[("level", "personal"), ("assisted", "on")]).await;
    assert!(html(&app, &li, "/my/profile").await.contains(r#"name="assisted" value="on" checked"#));
    let r =
        worker.client.post(app.url(&format!("{path}/assist"))).form(&[("for", "13812340011")]).send().await.unwrap();
    let form = r.text().await.unwrap();
    assert!(form.contains(r#"id="profile-note""#) && form.contains("138****0011"), "{form}");
    assert!(form.contains(r#"value="李明""#) && form.contains(r#"name="_for""#), "{form}");
    // The number travels in the body only: a link with it in the query looks nobody up.
    let r = worker.client.get(app.url(&format!("{path}?for=13812340011"))).send().await.unwrap();
    let form = r.text().await.unwrap();
    assert!(!form.contains(r#"value="李明""#) && !form.contains(r#"name="_for""#), "{form}");
    // Li sees who read his profile, and why.
    let mine = html(&app, &li, "/my/profile").await;
    assert!(mine.contains("网格员 王磊 代您填写时读取"), "{mine}");
    // The worker submits for him: the case is Li's, filed as assisted.
    let form = xinlin_form("李明", "13812340011", "新洲花园 5号楼 302").text("_for", "13812340011");
    let r = worker.client.post(app.url(path)).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap());
    let li_id = resident_id(&app, "13812340011").await;
    assert!(html(&app, &li, "/my").await.contains("新邻护航"), "Li follows the case");
    let filter = baida_store::CaseFilter { resident_id: Some(li_id.clone()), limit: 10, ..Default::default() };
    let cases = app.running.store.cases(&filter).await.unwrap();
    let filed = cases.iter().find(|c| c.app_id == "xinlin-huhang").expect("the case is Li's");
    let events = app.running.store.events(&filed.id).await.unwrap();
    assert_eq!(events[0].data["channel"], "assisted");
    // What the worker entered with him joins his household's profile.
    let home = app.running.store.home(&li_id).await.unwrap().unwrap();
    let household = app.running.store.household_profile(&baida_store::Household::of(&home)).await.unwrap();
    assert!(household.iter().any(|v| v.dict_key == "household.address"), "{household:?}");
    let r =
        worker.client.post(app.url(&format!("{path}/assist"))).form(&[("for", "13812340011")]).send().await.unwrap();
    let form = r.text().await.unwrap();
    assert!(form.contains("来自其家庭的共享档案") && form.contains("新洲花园 5号楼 302"), "{form}");

    // A number without a home in the community finds nobody; nor does another community's worker.
    let r =
        worker.client.post(app.url(&format!("{path}/assist"))).form(&[("for", "13800000000")]).send().await.unwrap();
    let form = r.text().await.unwrap();
    assert!(form.contains("本社区没有用这个手机号登记住址的居民") && !form.contains("李明"), "{form}");
    let other = app.login("grid3").await;
    let r = other
        .client
        .post(app.url("/a/tianan-grid-1/xinlin-huhang/assist"))
        .form(&[("for", "13812340011")])
        .send()
        .await
        .unwrap();
    let form = r.text().await.unwrap();
    assert!(!form.contains("李明") && !form.contains(r#"name="_for""#), "{form}");
    // A resident gets no such box.
    let form = html(&app, &li, path).await;
    assert!(!form.contains(r#"id="assist""#), "{form}");
});
