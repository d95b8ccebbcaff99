//! The XML API endpoint: reads the parameters (GET query and POST form; `key=`, `X-PAN-KEY` or
//! Basic auth; `target=`), applies the limiter, authentication and response faults, runs the
//! command against the world and records the request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use tokio::time::Instant;

use crate::auth::Credentials;
use crate::command::{self, Command, CommandError, Op};
use crate::faults::Fault;
use crate::limit::{Limiter, OverLimit};
use crate::ops::{self, Reply};
use crate::record::{RequestLog, RequestRecord, ResponseKind};
use crate::render;
use crate::world::World;

/// The request size limit of the real API (5 MB).
const MAX_BODY: usize = 5 * 1024 * 1024;

/// State shared by every connection.
#[derive(Debug)]
pub struct Shared {
    pub(crate) world: Mutex<World>,
    pub(crate) log: Mutex<RequestLog>,
    pub(crate) limiter: Limiter,
    pub(crate) credentials: Mutex<Credentials>,
    pub(crate) started: Instant,
}

impl Shared {
    pub(crate) fn world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn log(&self) -> std::sync::MutexGuard<'_, RequestLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn credentials(&self) -> Credentials {
        self.credentials
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// What the connection does with a request.
#[derive(Debug)]
pub enum Outcome {
    /// Send this response.
    Respond(Response<Body>),
    /// Close the connection without a response.
    Drop,
}

/// The request parameters the API reads.
#[derive(Debug, Default)]
struct Params {
    kind: Option<String>,
    cmd: Option<String>,
    key: Option<String>,
    target: Option<String>,
    user: Option<String>,
    password: Option<String>,
}

impl Params {
    fn absorb(&mut self, pairs: url::form_urlencoded::Parse<'_>) {
        for (k, v) in pairs {
            let v = Some(v.into_owned());
            match k.as_ref() {
                "type" => self.kind = v,
                "cmd" => self.cmd = v,
                "key" => self.key = v,
                "target" => self.target = v.filter(|t| !t.is_empty()),
                "user" => self.user = v,
                "password" => self.password = v,
                _ => {}
            }
        }
    }
}

/// Where a record is aimed and what it says.
struct Note {
    op: Op,
    target: Option<String>,
    version: Option<String>,
}

/// Handles one HTTP request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Outcome {
    let path = req.uri().path();
    if !matches!(path, "/api" | "/api/" | "/esp/restapi.esp") {
        return Outcome::Respond(plain(StatusCode::NOT_FOUND, "Not Found"));
    }
    let mut params = Params::default();
    if let Some(q) = req.uri().query() {
        params.absorb(url::form_urlencoded::parse(q.as_bytes()));
    }
    let header_key = req
        .headers()
        .get("x-pan-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if req.method() == Method::POST {
        match axum::body::to_bytes(Body::new(req.into_body()), MAX_BODY).await {
            Ok(bytes) => params.absorb(url::form_urlencoded::parse(&bytes)),
            Err(_) => {
                let note = Note {
                    op: Op::Other,
                    target: None,
                    version: None,
                };
                let reply = Reply {
                    status: 400,
                    body: render::bad_request("The request is too large"),
                    kind: ResponseKind::Error { code: Some(400) },
                    job_id: None,
                };
                return finish(&shared, note, reply);
            }
        }
    }
    if params.key.is_none() {
        params.key = header_key;
    }

    let permit = match shared.limiter.admit().await {
        Ok(p) => p,
        Err(over) => {
            let note = Note {
                op: guess_op(&params),
                target: params.target.clone(),
                version: None,
            };
            return finish(&shared, note, over_limit_reply(over));
        }
    };
    let outcome = answer(&shared, params, basic).await;
    drop(permit);
    outcome
}

fn guess_op(params: &Params) -> Op {
    if params.kind.as_deref() == Some("keygen") {
        return Op::Keygen;
    }
    params
        .cmd
        .as_deref()
        .and_then(|c| command::parse(c).ok())
        .map(|c| c.op())
        .unwrap_or(Op::Other)
}

fn over_limit_reply(over: OverLimit) -> Reply {
    match over {
        OverLimit::HttpStatus { status } => Reply {
            status,
            body: format!("<html><body><h1>{status}</h1>Too many requests</body></html>"),
            kind: ResponseKind::RateLimited,
            job_id: None,
        },
        _ => Reply {
            status: 200,
            body: render::error_code_line(22, "Session timed out"),
            kind: ResponseKind::RateLimited,
            job_id: None,
        },
    }
}

async fn answer(shared: &Arc<Shared>, params: Params, basic: Option<String>) -> Outcome {
    let creds = shared.credentials();
    if params.kind.as_deref() == Some("keygen") {
        let note = Note {
            op: Op::Keygen,
            target: None,
            version: None,
        };
        let ok = params.user.as_deref() == Some(creds.user.as_str())
            && params.password.as_deref() == Some(creds.password.as_str());
        let reply = if ok {
            Reply::ok(render::keygen(&creds.api_key()))
        } else {
            forbidden()
        };
        return finish(shared, note, reply);
    }
    let authorized = params
        .key
        .as_deref()
        .is_some_and(|k| key_matches(k, &creds.api_key()))
        || basic.as_deref().is_some_and(|b| creds.matches_basic(b));
    let note = |op| Note {
        op,
        target: params.target.clone(),
        version: None,
    };
    if !authorized {
        return finish(shared, note(guess_op(&params)), forbidden());
    }
    match params.kind.as_deref() {
        Some("op") => {}
        None => {
            return finish(
                shared,
                note(Op::Other),
                bad(render::bad_request("Parameter \"type\" is required")),
            );
        }
        Some(other) => {
            let msg = format!(
                "Illegal value for parameter \"type\" [{other}]. The simulator answers type=keygen and type=op."
            );
            return finish(shared, note(Op::Other), bad(render::bad_request(&msg)));
        }
    }
    let Some(cmd) = params.cmd.as_deref() else {
        return finish(
            shared,
            note(Op::Other),
            bad(render::bad_request("Parameter \"cmd\" is required")),
        );
    };
    let command = match command::parse(cmd) {
        Ok(c) => c,
        Err(e) => {
            let reply = match e {
                CommandError::Malformed => Reply::error(render::malformed_request(), Some(18)),
                CommandError::Unexpected(p) => Reply::error(render::unexpected(&p), Some(17)),
                CommandError::Missing(p) => Reply::error(render::missing(&p), Some(17)),
            };
            return finish(shared, note(Op::Other), reply);
        }
    };
    let version = match &command {
        Command::SoftwareDownload { version, .. } | Command::SoftwareInstall { version } => {
            Some(version.clone())
        }
        _ => None,
    };
    let note = Note {
        op: command.op(),
        target: params.target.clone(),
        version,
    };
    run_command(shared, note, command).await
}

async fn run_command(shared: &Arc<Shared>, note: Note, command: Command) -> Outcome {
    let op = note.op;
    // Response faults are taken first: they act on the wire, whatever the device's state.
    let (delay, fault) = {
        let mut world = shared.world();
        let idx = note.target.as_deref().map(|t| world.find(t));
        let faults = match idx {
            None => Some(&mut world.panorama.faults),
            Some(Some(i)) => Some(&mut world.devices[i].faults),
            Some(None) => None,
        };
        match faults {
            Some(f) => (
                f.take(op, |f| matches!(f, Fault::Delay { .. })),
                f.take(op, |f| {
                    f.is_response_fault() && !matches!(f, Fault::Delay { .. })
                }),
            ),
            None => (None, None),
        }
    };
    if let Some(Fault::Delay { ms }) = delay {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let mut malformed = false;
    match fault {
        Some(Fault::DropConnection) => {
            record(shared, &note, ResponseKind::Dropped, None);
            return Outcome::Drop;
        }
        Some(Fault::HttpStatus { status }) => {
            // A 403 carries the real XML body (a transient 403 during a reboot or a burst).
            let body = if status == 403 {
                render::forbidden()
            } else {
                format!(
                    "<html><body><h1>{status}</h1>The server could not handle the request.</body></html>"
                )
            };
            let reply = Reply {
                status,
                body,
                kind: ResponseKind::HttpStatus { status },
                job_id: None,
            };
            return finish(shared, note, reply);
        }
        Some(Fault::EmptyBody) => {
            let reply = Reply {
                status: 200,
                body: String::new(),
                kind: ResponseKind::Malformed,
                job_id: None,
            };
            return finish(shared, note, reply);
        }
        Some(Fault::ApiError { code, message }) => {
            return finish(
                shared,
                note,
                Reply::error(render::error_code_line(code, &message), Some(code)),
            );
        }
        Some(Fault::MalformedXml) => malformed = true,
        _ => {}
    }
    let mut reply = {
        let mut world = shared.world();
        match note.target.as_deref() {
            None => ops::panorama(&mut world, &command),
            Some(serial) => match world.find(serial) {
                None => Reply::error(
                    render::error_line(&format!("Device {serial} is not managed by this Panorama")),
                    None,
                ),
                Some(idx) => {
                    world.advance(idx);
                    if world.devices[idx].connected(world.now()) {
                        ops::firewall(&mut world, idx, &command)
                    } else {
                        ops::not_connected(serial)
                    }
                }
            },
        }
    };
    if malformed {
        reply.body.push_str("</result></response>\n");
        reply.kind = ResponseKind::Malformed;
    }
    finish(shared, note, reply)
}

/// pan-python sends the key unencoded in the form body, so a `+` in it arrives as a space:
/// both are accepted.
fn key_matches(sent: &str, expected: &str) -> bool {
    sent.len() == expected.len()
        && sent
            .bytes()
            .zip(expected.bytes())
            .all(|(s, e)| s == e || (s == b' ' && e == b'+'))
}

fn bad(body: String) -> Reply {
    Reply {
        status: 400,
        body,
        kind: ResponseKind::Error { code: Some(400) },
        job_id: None,
    }
}

fn forbidden() -> Reply {
    Reply {
        status: 403,
        body: render::forbidden(),
        kind: ResponseKind::Forbidden,
        job_id: None,
    }
}

fn record(shared: &Shared, note: &Note, kind: ResponseKind, job_id: Option<u32>) {
    let sim_at = shared.world().now().0;
    shared.log().push(RequestRecord {
        seq: 0,
        at: Instant::now().saturating_duration_since(shared.started),
        sim_at,
        op: note.op,
        target: note.target.clone(),
        version: note.version.clone(),
        job_id,
        response: kind,
    });
}

fn finish(shared: &Shared, note: Note, reply: Reply) -> Outcome {
    record(shared, &note, reply.kind, reply.job_id);
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if reply.status == 200 || reply.status == 400 || reply.status == 403 {
        "application/xml; charset=UTF-8"
    } else {
        "text/html"
    };
    let response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(reply.body))
        .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "internal error"));
    Outcome::Respond(response)
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::key_matches;

    #[test]
    fn a_plus_sent_unencoded_still_matches() {
        assert!(key_matches("LUFRPT1a+b==", "LUFRPT1a+b=="));
        assert!(key_matches("LUFRPT1a b==", "LUFRPT1a+b=="));
        assert!(!key_matches("LUFRPT1a b==", "LUFRPT1a b=c"));
        assert!(!key_matches("LUFRPT1a", "LUFRPT1a+b=="));
    }
}
