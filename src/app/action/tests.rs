use super::*;

fn row(category: Category, image: &str) -> FailureRow {
    FailureRow {
        image: image.into(),
        registry: ImageRef::parse(image).ok().map(|r| r.registry),
        category,
        ..FailureRow::sample()
    }
}

/// A session of the one cluster (the tests' pods name no server).
fn g1() -> SessionKey {
    SessionKey::new(ClusterId::new("", ""), crate::app::Generation(1))
}

fn k(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn typed(a: &mut Actions, s: &str) {
    for c in s.chars() {
        a.key(k(KeyCode::Char(c)), g1(), Timestamp::UNIX_EPOCH);
    }
}

fn form(a: &Actions) -> &Form {
    match &a.current.as_ref().expect("open").stage {
        Stage::Form(f) => f,
        s => panic!("not a form: {s:?}"),
    }
}

#[test]
fn annotate_offers_the_preset_of_the_cause_first_with_host_and_port() {
    let mut a = Actions::default();
    let s = Subject::from_row(
        &row(Category::ProtocolHttpRegistry, "reg.local:5000/app:1"),
        None,
        vec![],
    );
    a.open(Kind::Annotate, s, g1(), Timestamp::UNIX_EPOCH);
    let f = form(&a);
    assert_eq!(f.preset_fixes[0], FixId::AnnotateHttpEndpoint);
    assert_eq!(
        f.value("key"),
        "eks.tke.cloud.tencent.com/registry-http-endpoint"
    );
    assert_eq!(f.value("value"), "reg.local:5000");
    let fx = a.key(k(KeyCode::Enter), g1(), Timestamp::UNIX_EPOCH);
    let [Effect::Mutate(MutateEffect::Prepare { request, .. })] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(request.fix, FixId::AnnotateHttpEndpoint);
    assert_eq!(request.params.value.as_deref(), Some("reg.local:5000"));
}

#[test]
fn a_bad_custom_key_is_refused_inline_and_nothing_is_sent() {
    let mut a = Actions::default();
    let s = Subject::from_row(&row(Category::TlsUntrusted, "r.io/app:1"), None, vec![]);
    a.open(Kind::Annotate, s, g1(), Timestamp::UNIX_EPOCH);
    // preset row: → → custom
    a.key(k(KeyCode::Right), g1(), Timestamp::UNIX_EPOCH);
    a.key(k(KeyCode::Right), g1(), Timestamp::UNIX_EPOCH);
    assert_eq!(form(&a).preset, 2);
    a.key(k(KeyCode::Tab), g1(), Timestamp::UNIX_EPOCH);
    typed(&mut a, "bad key!");
    a.key(k(KeyCode::Tab), g1(), Timestamp::UNIX_EPOCH);
    typed(&mut a, "v");
    let fx = a.key(k(KeyCode::Enter), g1(), Timestamp::UNIX_EPOCH);
    assert!(fx.is_empty(), "{fx:?}");
    let err = form(&a).error.clone().expect("inline error");
    assert!(err.contains("bad key!"), "{err}");
}

#[test]
fn the_password_is_masked_in_debug_and_sent_redacted() {
    let mut a = Actions::default();
    let s = Subject::from_row(
        &row(Category::AuthNoCredentials, "r.io/app:1"),
        None,
        vec![],
    );
    let fx = a.open(Kind::Credential, s, g1(), Timestamp::UNIX_EPOCH);
    assert!(matches!(
        fx.as_slice(),
        [Effect::Mutate(MutateEffect::Candidates { .. })]
    ));
    // Focus starts on the username.
    typed(&mut a, "bob");
    a.key(k(KeyCode::Tab), g1(), Timestamp::UNIX_EPOCH);
    typed(&mut a, "s3cr3t-pw");
    let dbg = format!("{a:?}");
    assert!(!dbg.contains("s3cr3t-pw"), "{dbg}");
    let fx = a.key(k(KeyCode::Enter), g1(), Timestamp::UNIX_EPOCH);
    let [Effect::Mutate(MutateEffect::Prepare { request, .. })] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(request.fix, FixId::CreatePullSecret);
    assert_eq!(request.params.username.as_deref(), Some("bob"));
    assert_eq!(
        request.params.password.as_ref().map(Redacted::expose),
        Some("s3cr3t-pw")
    );
    assert_eq!(request.params.secret_name.as_deref(), Some("regcred-r-io"));
    assert!(!format!("{fx:?} {a:?}").contains("s3cr3t-pw"));
}

#[test]
fn a_missing_secret_is_created_under_its_name_and_not_attached_again() {
    let mut a = Actions::default();
    let s = Subject::from_row(
        &row(Category::CredentialsSecretMissing, "r.io/app:1"),
        Some("does-not-exist".into()),
        vec!["does-not-exist".into()],
    );
    a.open(Kind::Credential, s, g1(), Timestamp::UNIX_EPOCH);
    let f = form(&a);
    assert_eq!(f.value("secret name"), "does-not-exist");
    assert_eq!(f.attach, AttachChoice::None);
}

#[test]
fn an_unchanged_or_invalid_image_is_refused_inline() {
    let mut a = Actions::default();
    let s = Subject::from_row(&row(Category::ImageNotFound, "r.io/app:1"), None, vec![]);
    a.open(Kind::Image, s, g1(), Timestamp::UNIX_EPOCH);
    let fx = a.key(k(KeyCode::Enter), g1(), Timestamp::UNIX_EPOCH);
    assert!(fx.is_empty());
    assert!(
        form(&a)
            .error
            .as_deref()
            .unwrap_or("")
            .contains("the image it has")
    );
    typed(&mut a, "::");
    let fx = a.key(k(KeyCode::Enter), g1(), Timestamp::UNIX_EPOCH);
    assert!(fx.is_empty());
    assert!(
        form(&a)
            .error
            .as_deref()
            .unwrap_or("")
            .contains("invalid image")
    );
}

#[test]
fn confirm_applies_with_y_and_dry_run_flag_and_esc_cancels() {
    let mut a = Actions {
        dry_run: true,
        ..Default::default()
    };
    let s = Subject::from_row(&row(Category::ImageNotFound, "r.io/app:1"), None, vec![]);
    let fx = a.open(Kind::Kick, s.clone(), g1(), Timestamp::UNIX_EPOCH);
    assert!(matches!(
        fx.as_slice(),
        [Effect::Mutate(MutateEffect::Prepare { .. })]
    ));
    let id = a.seq;
    let preview = Preview {
        title: "t".into(),
        objects: vec![],
        diff: vec![],
        kubectl: vec![],
        notes: vec![],
    };
    a.apply_msg(
        id,
        ActionMsg::Prepared {
            preview: Box::new(preview.clone()),
            live: true,
        },
        Timestamp::UNIX_EPOCH,
    );
    let fx = a.key(k(KeyCode::Char('y')), g1(), Timestamp::UNIX_EPOCH);
    assert_eq!(
        fx,
        vec![Effect::Mutate(MutateEffect::Apply {
            action: id,
            dry_run: true
        })]
    );
    a.open(Kind::Kick, s, g1(), Timestamp::UNIX_EPOCH);
    let id2 = a.seq;
    a.apply_msg(
        id2,
        ActionMsg::Prepared {
            preview: Box::new(preview),
            live: true,
        },
        Timestamp::UNIX_EPOCH,
    );
    let fx = a.key(k(KeyCode::Esc), g1(), Timestamp::UNIX_EPOCH);
    assert_eq!(
        fx,
        vec![Effect::Mutate(MutateEffect::Cancel { action: id2 })]
    );
    assert!(a.current.is_none());
}

#[test]
fn an_input_refusal_brings_the_form_back_with_the_servers_words() {
    let mut a = Actions::default();
    let s = Subject::from_row(&row(Category::ImageNotFound, "r.io/app:1"), None, vec![]);
    a.open(Kind::Image, s, g1(), Timestamp::UNIX_EPOCH);
    typed(&mut a, "2");
    let fx = a.key(k(KeyCode::Enter), g1(), Timestamp::UNIX_EPOCH);
    assert_eq!(fx.len(), 1);
    a.apply_msg(
        a.seq,
        ActionMsg::Refused {
            message: "Job/x's pod template cannot change".into(),
            input: true,
        },
        Timestamp::UNIX_EPOCH,
    );
    let f = form(&a);
    assert_eq!(f.value("image"), "r.io/app:12");
    assert!(f.error.as_deref().unwrap_or("").contains("cannot change"));
}

#[test]
fn toasts_fade_and_are_bounded() {
    let mut a = Actions::default();
    let t0 = Timestamp::UNIX_EPOCH;
    for i in 0..6 {
        a.toast(t0, Level::Info, format!("t{i}"));
    }
    assert_eq!(a.toasts.len(), MAX_TOASTS);
    assert_eq!(a.toasts[0].text, "t2");
    a.toast(t0, Level::Error, "e");
    let later = t0 + jiff::SignedDuration::from_secs(TOAST_SECS + 1);
    assert!(a.expire(later));
    assert_eq!(a.toasts.len(), 1, "errors stay longer");
    let later = t0 + jiff::SignedDuration::from_secs(3 * TOAST_SECS + 1);
    assert!(a.expire(later));
    assert!(a.toasts.is_empty());
}

fn covering(name: &str) -> crate::domain::mutation::Candidate {
    crate::domain::mutation::Candidate {
        namespace: "shop".into(),
        name: name.into(),
        username: Some("robot".into()),
    }
}

/// "2 existing secrets cover this registry: ←/→ to use one": the form
/// opens on that choice, so → shows the first of them at once.
#[test]
fn the_credential_form_focuses_the_existing_secrets_when_some_cover_the_registry() {
    let mut a = Actions::default();
    let s = Subject::from_row(
        &row(Category::AuthNoCredentials, "r.io/app:1"),
        None,
        vec![],
    );
    a.open(Kind::Credential, s, g1(), Timestamp::UNIX_EPOCH);
    let id = a.current.as_ref().expect("open").id;
    assert_eq!(form(&a).offers, Offers::Loading);
    assert_eq!(form(&a).focus, 3, "the username, while the offers load");
    a.apply_msg(
        id,
        ActionMsg::Candidates {
            copy: Ok(vec![covering("reg-copy")]),
            attach: Ok(vec![covering("reg-own")]),
        },
        Timestamp::UNIX_EPOCH,
    );
    let f = form(&a);
    let subject = &a.current.as_ref().expect("open").subject;
    let rows = rows_of(Kind::Credential, subject, f);
    assert_eq!(rows.get(f.focus), Some(&Row::Source), "{f:?}");
    a.key(k(KeyCode::Right), g1(), Timestamp::UNIX_EPOCH);
    assert_eq!(
        form(&a).current_source(),
        &Source::Attach(covering("reg-own"))
    );
}

/// The user who already moved keeps their focus when the offers come.
#[test]
fn offers_that_arrive_after_a_key_leave_the_focus_where_the_user_put_it() {
    let mut a = Actions::default();
    let s = Subject::from_row(
        &row(Category::AuthNoCredentials, "r.io/app:1"),
        None,
        vec![],
    );
    a.open(Kind::Credential, s, g1(), Timestamp::UNIX_EPOCH);
    let id = a.current.as_ref().expect("open").id;
    typed(&mut a, "me");
    a.apply_msg(
        id,
        ActionMsg::Candidates {
            copy: Ok(vec![covering("reg-copy")]),
            attach: Ok(vec![]),
        },
        Timestamp::UNIX_EPOCH,
    );
    assert_eq!(form(&a).focus, 3);
    assert_eq!(form(&a).value("username"), "me");
}

/// No secret to offer: the focus stays on the first empty field.
#[test]
fn without_offers_the_credential_form_stays_on_the_username() {
    let mut a = Actions::default();
    let s = Subject::from_row(
        &row(Category::AuthNoCredentials, "r.io/app:1"),
        None,
        vec![],
    );
    a.open(Kind::Credential, s, g1(), Timestamp::UNIX_EPOCH);
    let id = a.current.as_ref().expect("open").id;
    a.apply_msg(
        id,
        ActionMsg::Candidates {
            copy: Ok(vec![]),
            attach: Ok(vec![]),
        },
        Timestamp::UNIX_EPOCH,
    );
    assert_eq!(form(&a).focus, 3);
}
