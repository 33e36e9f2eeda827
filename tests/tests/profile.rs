//! Enter once, many share: a logged-in resident who consents files 民意速办 with their name and
//! phone; opening 新邻护航 shows them pre-filled with a note saying where they came from, the
//! read is recorded, and a corrected value updates the profile. Without consent nothing is kept
//! or filled; sensitive fields need the higher consent.

use baida_runtime::auth::session;
use baida_runtime::store::Session;
use baida_tests::reqwest::multipart::Form;
use baida_tests::reqwest::{Client, StatusCode, header, redirect};
use baida_tests::{TestApp, both};

/// A browser logged in as the resident with this phone number (the session made as the SMS
/// log-in makes it).
async fn resident(app: &TestApp, phone: &str) -> Client {
    let store = &app.running.state.store;
    let now = chrono::Utc::now();
    let r = store.resident(phone, now).await.unwrap();
    let id = session::secret();
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
    let r = client
        .post(app.url("/my/profile"))
        .header("origin", app.url("").trim_end_matches('/'))
        .form(&[("level", level)])
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
    assert!(mine.contains(r#"id="profile-reads""#) && mine.contains("xinlin-huhang"), "{mine}");
    assert!(mine.contains("李明"), "{mine}");
    // A corrected value replaces the old one.
    file_minyi(&app, &li, "李明华", "13812345678").await;
    let form = html(&app, &li, "/a/xinzhou/nuoche-e-zhan").await;
    assert!(form.contains("13812345678") && form.contains(r#"id="profile-note""#), "{form}");
    let mine = html(&app, &li, "/my/profile").await;
    assert!(mine.contains("李明华"), "{mine}");
    // Sensitive fields are not shared under "personal": the ID number is never stored.
    let profile = app.running.state.store.profile(&resident_id(&app, "13812345678").await).await.unwrap();
    assert!(profile.iter().all(|v| v.dict_key != "people.id_number"), "{profile:?}");
    // Only what describes the resident is kept, not what the case was about.
    let keys: Vec<&str> = profile.iter().map(|v| v.dict_key.as_str()).collect();
    assert_eq!(keys, ["people.name", "people.phone"]);

    // Without consent: nothing is kept, nothing is filled.
    let wang = resident(&app, "13912345678").await;
    file_minyi(&app, &wang, "王芳", "13912345678").await;
    let form = html(&app, &wang, "/a/xinzhou/xinlin-huhang").await;
    assert!(!form.contains(r#"id="profile-note""#) && !form.contains("王芳"), "{form}");
    assert!(app.running.state.store.profile(&resident_id(&app, "13912345678").await).await.unwrap().is_empty());
    // Withdrawing consent forgets what was kept.
    consent(&app, &li, "none").await;
    let form = html(&app, &li, "/a/xinzhou/xinlin-huhang").await;
    assert!(!form.contains(r#"id="profile-note""#) && !form.contains("李明华"), "{form}");
    // Nobody else fills from it: an anonymous visitor sees an empty form.
    let form = app.get("/a/xinzhou/xinlin-huhang").send().await.unwrap().text().await.unwrap();
    assert!(!form.contains(r#"id="profile-note""#));
});

async fn resident_id(app: &TestApp, phone: &str) -> String {
    app.running.state.store.resident(phone, chrono::Utc::now()).await.unwrap().id
}
