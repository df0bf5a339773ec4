//! The pod detail for real: the `pulltui` binary in tmux against the
//! API-server harness. For each scenario pod, `/name` Enter Enter opens the
//! detail, which must show the innermost cause highlighted in the message,
//! the right pull-secret coverage, the username and never the password; the
//! events update without a keypress; the read-only `viewer` sees
//! "cannot check (forbidden)" rather than an error. Needs `tmux`.

mod support;

use std::time::Duration;

use base64::Engine as _;
use support::Fixture;
use support::scenarios::{MISSING_SECRET, WRONG_HOST_SECRET};
use support::tmux::{Tmux, exit_line};

const WAIT: Duration = Duration::from_secs(20);

/// Opens the detail of the only row matching `filter`.
fn open_detail(t: &Tmux, filter: &str) {
    t.send(&["/"]);
    t.type_text(filter);
    t.send(&["Enter"]);
    let kept = format!("filter \"{filter}\" 1/");
    t.wait("the filtered row", WAIT, |s| s.contains(&kept));
    t.send(&["Enter"]);
}

/// Back to the unfiltered table.
fn close_detail(t: &Tmux) {
    t.send(&["Escape"]);
    t.wait("the table", WAIT, |s| s.contains("NAMESPACE"));
    t.send(&["Escape"]);
    // Wait until the filter is gone: an Escape followed at once by the next
    // key reaches the terminal as one Alt-chord.
    t.wait("the filter cleared", WAIT, |s| !s.contains("filter \""));
}

/// The `(×N` of the ERROR line: how often the cause-bearing event was seen.
fn cause_count(screen: &str) -> Option<u32> {
    let l = screen.lines().find(|l| l.contains(" ERROR "))?;
    let i = l.find("(×")?;
    let digits: String = l[i + "(×".len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

fn assert_no_credentials(screen: &str, pass: &str, user: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
    assert!(
        !screen.contains(pass),
        "the password is on screen:\n{screen}"
    );
    assert!(
        !screen.contains(&auth),
        "the auth string is on screen:\n{screen}"
    );
}

const SCENARIOS: [&str; 5] = [
    "auth-nosecret",
    "auth-wronghost",
    "auth-missingtag",
    "secret-missing",
    "blackhole",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_shows_the_cause_and_the_secret_coverage_live() {
    let Some(f) = Fixture::with_tmux("e2e-detail").await else {
        return;
    };
    f.apply(&SCENARIOS).await;
    let h = &f.h;
    let auth = h.reg_auth().to_string();
    let http = h.reg_http().to_string();
    let (user, pass) = (h.reg_auth_user().to_string(), h.reg_auth_pass().to_string());

    let t = Tmux::start("detail", 160, 45);
    t.launch(
        h.pulltui()
            .no_color()
            .context("admin")
            .args(&["-n", f.ns()]),
    );
    t.wait("the failing pods", WAIT, |s| {
        s.contains("5 failing of 5 pods")
    });

    // No secret at all for a registry that demands credentials.
    open_detail(&t, "auth-nosecret");
    // The ERROR line names its event (and its count) once the pod's
    // events are read; before that it shows the container's waiting
    // message, which has no count.
    let s = t.wait("auth-nosecret's detail", WAIT, |s| {
        s.contains("auth.no-credentials  The registry demands")
            && s.contains("No pull secret covers")
            && s.contains("· live")
            && cause_count(s).is_some()
    });
    assert!(
        s.contains(&format!(
            "✕ No pull secret covers {auth} — the registry demands credentials"
        )),
        "{s}"
    );
    assert_eq!(t.highlighted(), "401 Unauthorized", "{s}");
    assert_no_credentials(&s, &pass, &user);
    // Live: the cause-bearing event is seen again, without a keypress.
    let before = cause_count(&s).expect("a count on the ERROR line");
    let later = t.wait("the Failed event to repeat", Duration::from_secs(40), |s| {
        cause_count(s).is_some_and(|n| n > before)
    });
    assert!(later.contains("Warning Failed"), "{later}");
    close_detail(&t);

    // A secret, but for another registry host.
    open_detail(&t, "auth-wronghost");
    let s = t.wait("auth-wronghost's detail", WAIT, |s| {
        s.contains(WRONG_HOST_SECRET) && s.contains("does not cover")
    });
    assert!(
        s.contains(&format!("✕ No pull secret covers {auth}")),
        "{s}"
    );
    assert!(
        s.contains(&format!(
            "{WRONG_HOST_SECRET} (pod)  ✕ does not cover {auth}  hosts: {http} (user {user})"
        )),
        "{s}"
    );
    assert_eq!(t.highlighted(), "401 Unauthorized", "{s}");
    assert_no_credentials(&s, &pass, &user);
    close_detail(&t);

    // The right secret; the tag is what is missing.
    open_detail(&t, "auth-missingtag");
    let s = t.wait("auth-missingtag's detail", WAIT, |s| {
        s.contains("image.not-found  The registry answered") && s.contains("✓ covers")
    });
    assert!(
        s.contains(&format!("✓ regcred covers {auth} (user {user})")),
        "{s}"
    );
    assert!(s.contains("credentials are not the problem"), "{s}");
    assert!(
        t.highlighted().ends_with("not found"),
        "{}",
        t.highlighted()
    );
    assert_no_credentials(&s, &pass, &user);
    close_detail(&t);

    // The pod names a secret that does not exist.
    open_detail(&t, "secret-missing");
    let s = t.wait("secret-missing's detail", WAIT, |s| {
        s.contains(&format!("{MISSING_SECRET} (pod)  ✕ does not exist"))
    });
    assert!(s.contains(&format!("No pull secret covers {auth}")), "{s}");
    assert!(s.contains("FailedToRetrieveImagePu"), "{s}");
    // The 401 is the missing secret's fault, as the home row says too.
    assert!(s.contains("credentials.secret-missing"), "{s}");
    close_detail(&t);

    // A timeout: the dialled address and its scope.
    open_detail(&t, "blackhole");
    let s = t.wait("blackhole's detail", WAIT, |s| {
        s.contains("network.timeout  Packets") && s.contains("[loopback IP]")
    });
    let hl = t.highlighted();
    assert!(
        hl.starts_with("dial tcp 127.0.0.1:") && hl.ends_with("i/o timeout"),
        "{hl}\n{s}"
    );

    t.send(&["q"]);
    let after = t.wait("pulltui to exit", Duration::from_secs(10), |s| {
        exit_line(s).is_some()
    });
    assert_eq!(exit_line(&after), Some("PULLTUI-EXIT=0"), "{after}");
    f.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_user_sees_cannot_check_at_80x24() {
    let Some(f) = Fixture::with_tmux("e2e-detail-view").await else {
        return;
    };
    f.apply(&["auth-wronghost"]).await;

    let t = Tmux::start("detail-view", 80, 24);
    t.launch(
        f.h.pulltui()
            .no_color()
            .context("viewer")
            .args(&["-n", f.ns()]),
    );
    t.wait("the failing pod", WAIT, |s| {
        s.contains("1 failing of 1 pods")
    });
    open_detail(&t, "auth-wronghost");
    let s = t.wait("the detail", WAIT, |s| s.contains("cannot tell whether"));
    assert!(s.contains("IMAGE"), "{s}");
    for line in s.lines() {
        assert!(line.chars().count() <= 80, "fits 80 columns: {line}");
    }
    // Scroll down line by line until the secrets section is in view (where it
    // falls depends on how long the message and the events are).
    let want = format!("{WRONG_HOST_SECRET} (pod)  ? cannot check (forbidden)");
    let mut s = t.capture();
    for _ in 0..60 {
        if s.contains(&want) {
            break;
        }
        t.send(&["Down"]);
        std::thread::sleep(Duration::from_millis(150));
        s = t.capture();
    }
    assert!(
        s.contains(&want),
        "no {want:?} while scrolling; screen:\n{s}"
    );
    // A fact on the detail, not an error screen or a failed watch.
    // (The message wraps where its length puts it: read the words.)
    let words: Vec<&str> = s.split_whitespace().collect();
    assert!(
        s.contains(" ERROR    ") && words.windows(2).any(|w| w == ["401", "Unauthorized"]),
        "{s}"
    );
    assert!(
        !s.contains("cannot watch") && !s.contains("not connected"),
        "{s}"
    );
    t.send(&["C-c"]);
    let after = t.wait("pulltui to exit", Duration::from_secs(10), |s| {
        exit_line(s).is_some()
    });
    assert_eq!(exit_line(&after), Some("PULLTUI-EXIT=0"), "{after}");
    f.delete().await;
}
