//! A fake registry (any plain-HTTP server) on loopback, for the probe
//! tests that need no harness: each request answered by the test's
//! function and recorded.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request a fake server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub line: String,
    pub authorization: Option<String>,
}

/// A fake plain-HTTP server on 127.0.0.1 (a given port, or any): `answer`
/// maps each request to a whole response; every request is recorded. A
/// TLS ClientHello is answered in HTTP, as a plain server does.
pub struct Fake {
    pub addr: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    pub fn start(port: u16, answer: impl Fn(&Seen) -> String + Send + Sync + 'static) -> Fake {
        let l = TcpListener::bind(("127.0.0.1", port)).expect("bind");
        let addr = l.local_addr().expect("addr").to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rec = seen.clone();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(s) = conn else { continue };
                let (rec, answer) = (rec.clone(), answer.clone());
                std::thread::spawn(move || serve(s, &rec, &*answer));
            }
        });
        Fake { addr, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn serve(
    mut s: std::net::TcpStream,
    rec: &Mutex<Vec<Seen>>,
    answer: &(dyn Fn(&Seen) -> String + Send + Sync),
) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            if buf.len() >= 3 && !buf.starts_with(b"GET") && !buf.starts_with(b"HEA") {
                let _ = s.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                return;
            }
            match s.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end + 4);
        let mut lines = head.lines();
        let line = lines.next().unwrap_or("").to_string();
        let authorization = lines
            .filter_map(|h| h.split_once(':'))
            .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .map(|(_, v)| v.trim().to_string());
        let req = Seen {
            line,
            authorization,
        };
        let resp = answer(&req);
        if let Ok(mut r) = rec.lock() {
            r.push(req);
        }
        if s.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

/// A whole HTTP/1.1 response: status line, `headers`, `Content-Length`, `body`.
pub fn respond(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut r = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    r
}
