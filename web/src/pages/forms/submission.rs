//! A posted resident form: read (multipart, photos included) into answers, evaluated, and
//! either a new case (a redirect to its tracking page) or the form again with every error
//! beside its field; and the live state (`/a/{community}/{app}/state`) for pages with
//! JavaScript.

use super::*;

/// Reads a posted multipart form: text parts as name/value pairs; photos checked, stored and
/// replaced by their SHA-256; a photo that is refused becomes a problem at its field. A form
/// past the bounds of [`PostedForm`] is refused at the first part that crosses them.
pub async fn read_form(
    state: &AppState,
    uploader: &crate::upload_key::Uploader,
    fields: &[&CompiledField],
    multipart: &mut Multipart,
) -> Result<(PostedForm, Vec<Problem>), ApiError> {
    let keeps_location = |name: &str| {
        let key = name.rsplit('.').next().unwrap_or(name);
        fn find<'a>(fields: &[&'a CompiledField], key: &str) -> Option<&'a CompiledField> {
            fields.iter().find_map(|f| {
                if f.field.key == key { Some(*f) } else { find(&f.items.iter().collect::<Vec<_>>(), key) }
            })
        }
        find(fields, key).is_some_and(|f| f.ty == FieldType::Photo && f.field.keep_location)
    };
    let mut posted = PostedForm::default();
    let mut upload_errors: Vec<Problem> = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| crate::api::photos::multipart_error(&e))? {
        let name = field.name().unwrap_or_default().to_string();
        // Bounds first: a part past them is refused before its content is read.
        posted.admit(&name)?;
        if field.file_name().is_some() {
            let data = field.bytes().await.map_err(|e| crate::api::photos::multipart_error(&e))?;
            if data.is_empty() {
                continue;
            }
            match store_photo(state, uploader, data, keeps_location(&name)).await {
                Ok(photo) => posted.insert(name, photo.sha256),
                Err(ApiError::UnsupportedMediaType(m) | ApiError::PayloadTooLarge { detail: m }) => {
                    upload_errors.push(Problem::new(pointer_of(&name), "bad_photo", m));
                }
                Err(e) => return Err(e),
            }
        } else {
            posted.insert(name, field.text().await.map_err(|e| crate::api::photos::multipart_error(&e))?);
        }
    }
    Ok((posted, upload_errors))
}

/// Turns `members.0.photos` into `/members/0/photos`.
fn pointer_of(name: &str) -> String {
    format!("/{}", name.replace('.', "/"))
}

/// Submits the form.
pub async fn submit(
    State(state): State<AppState>,
    actor: baida_engine::auth::Actor,
    uploader: crate::upload_key::Uploader,
    ReqLang(lang): ReqLang,
    Path((community, app)): Path<(String, String)>,
    uri: axum::http::Uri,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    if let Err(e) = crate::access::limit_public_submission(&state, &actor, uploader.client) {
        let mut page = message_page(&state, lang, StatusCode::TOO_MANY_REQUESTS, "too_many", "too_many_submissions");
        if let Some(secs) = e.retry_after().and_then(|s| header::HeaderValue::from_str(&s.to_string()).ok()) {
            page.headers_mut().insert(header::RETRY_AFTER, secs);
        }
        return Ok(page);
    }
    let (loaded, community_name) = load(&state, lang, &community, &app).await?;
    let fields = loaded.compiled.intake_fields();
    let (mut posted, upload_errors) = read_form(&state, &uploader, &fields, &mut multipart).await?;
    // "Remove this one" on a photo kept from an earlier attempt.
    let dropped = posted.take("_drop");
    // Staff filling for a resident: the resident's phone number.
    let for_phone = posted.take("_for").into_iter().next();
    posted.drop_values(&dropped);
    let found = match for_phone {
        Some(phone) => {
            on_behalf::lookup(&state, &actor, &community, Some(phone), lang).await?.filter(|f| f.resident.is_some())
        }
        None => None,
    };
    let assist = found.as_ref().map(|f| f.assist.clone());
    let for_resident = found.as_ref().and_then(|f| f.resident.clone());
    let answers = answers_from_posted(&fields, &posted, "");
    let ev = evaluate_off_worker(&loaded, Value::Object(answers.clone()), state.engine.today()).await;
    let page = Page {
        state: &state,
        lang,
        path: uri.to_string(),
        loaded: &loaded,
        community: &community,
        community_name,
        profile_note: None,
        assist,
        preview: false,
        relations: super::relations_offered(&state, &loaded, &community).await,
    };
    if let Some(group) = posted.first("_add") {
        return Ok(render(
            &page,
            Shown { raw: &answers, ev: &ev, errors: &upload_errors, add_item_to: Some(group) },
            StatusCode::OK,
        ));
    }
    let mut errors = upload_errors;
    errors.extend(ev.errors.iter().cloned());
    if !errors.is_empty() {
        return Ok(render(
            &page,
            Shown { raw: &answers, ev: &ev, errors: &errors, add_item_to: None },
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let submission = Submission {
        app_id: loaded.meta.app_id.clone(),
        version: Some(loaded.meta.version.clone()),
        community_id: community.clone(),
        answers: Value::Object(answers.clone()),
        channel: if for_resident.is_some() { on_behalf::CHANNEL } else { "web" }.into(),
        actor: "public".into(),
        // The resident staff file for follows the case as their own.
        resident_id: for_resident.as_ref().map(|r| r.id.clone()),
        staff: false,
        case_id: None,
        uploader: (!actor.is_root()).then(|| uploader.digest()),
    };
    // Whose profiles the answers go to: the resident's own, or the one staff fill in for if
    // they let staff take part in their profile.
    let resident = match &actor {
        baida_engine::auth::Actor::Resident { id, .. } => Some(id.clone()),
        _ => found.as_ref().filter(|f| f.allowed).and_then(|f| f.resident.as_ref()).map(|r| r.id.clone()),
    };
    match crate::access::submit_as(&state, &actor, submission).await.map_err(SubmitOrApi::from) {
        Ok(done) => {
            // What the resident entered (or corrected) is remembered, within their consent.
            if let Some(id) = resident
                && let Err(e) = state.engine.remember(&id, &loaded.compiled, &Value::Object(answers.clone())).await
            {
                tracing::warn!(error = %e, "cannot update the resident's profile");
            }
            let mut to = format!("{}&new=1", crate::pages::track::tracking_path(&done.case.id, &done.tracking_token));
            if lang == Lang::En {
                to.push_str("&lang=en");
            }
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response())
        }
        Err(SubmitOrApi::Invalid(problems)) => Ok(render(
            &page,
            Shown { raw: &answers, ev: &ev, errors: &problems, add_item_to: None },
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(SubmitOrApi::Other(e)) => Err(e.into()),
    }
}

/// A failed submission: answers to show again with their problems, or any other error.
enum SubmitOrApi {
    Invalid(Vec<baida_blocks::Problem>),
    Other(ApiError),
}

impl From<ApiError> for SubmitOrApi {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Invalid { code: "invalid_answers", problems, .. } => SubmitOrApi::Invalid(problems),
            other => SubmitOrApi::Other(other),
        }
    }
}

/// The live state of the form for the answers so far: visibility, requiredness, computed
/// values and cascading options, keyed by element id.
#[derive(Debug, Serialize)]
pub struct LiveState {
    visible: HashMap<String, bool>,
    required: HashMap<String, bool>,
    computed: HashMap<String, Value>,
    options: HashMap<String, Vec<String>>,
}

pub async fn live_state(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    Path((community, app)): Path<(String, String)>,
    posted: PostedForm,
) -> Result<Json<LiveState>, ApiError> {
    let loaded = state.apps.load(&app, None).await?.ok_or_else(ApiError::not_found_app)?;
    state.engine.offered_in(&loaded, &community).await?;
    let answers = answers_from_posted(&loaded.compiled.intake_fields(), &posted, "");
    let mut ev = evaluate_off_worker(&loaded, Value::Object(answers.clone()), state.engine.today()).await;
    // A computed choice is shown by its label, as on the server-rendered page.
    for f in loaded.compiled.intake_fields() {
        if let Some(v) = ev.state.computed.get_mut(&format!("/{}", f.field.key))
            && let Some(c) = f.choices.iter().find(|c| Some(c.value()) == v.as_str())
        {
            *v = Value::String(c.label().get(lang).to_string());
        }
    }
    Ok(Json(LiveState {
        visible: by_id(ev.state.visible),
        required: by_id(ev.state.required),
        computed: by_id(ev.state.computed),
        options: by_id(ev.state.options),
    }))
}

fn by_id<V>(m: std::collections::BTreeMap<String, V>) -> HashMap<String, V> {
    m.into_iter().map(|(k, v)| (element_id(&k), v)).collect()
}
