//! The page and its API answer only requests addressed to this machine by name or
//! loopback address (`Host: 127.0.0.1:3000`, `localhost:3000`, `[::1]:3000`, or the
//! address it listens on). Another site open in the same browser could otherwise reach
//! it through DNS rebinding (its own name resolving to 127.0.0.1) and, through
//! `/herald connect callback`, send Herald's callbacks wherever it liked.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether a request with `host` (the `Host` header) is for the playground listening on
/// `listen`.
pub fn allowed(host: &str, listen: SocketAddr) -> bool {
    let Some((name, port)) = host.rsplit_once(':') else {
        return false;
    };
    if port.parse::<u16>().ok() != Some(listen.port()) {
        return false;
    }
    let name = name.to_ascii_lowercase();
    let listening = match listen {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    };
    matches!(name.as_str(), "127.0.0.1" | "localhost" | "[::1]")
        || (!listen.ip().is_unspecified() && name == listening)
}

/// Refuses a request whose `Host` is not [`allowed`].
pub async fn check(State(listen): State<SocketAddr>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if allowed(host, listen) {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "the playground answers only requests to 127.0.0.1, localhost or its own address",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machines_names_on_the_right_port_reach_the_page() {
        let loopback: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let lan: SocketAddr = "192.168.1.20:3000".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        let table = [
            ("127.0.0.1:3000", loopback, true),
            ("localhost:3000", loopback, true),
            ("LOCALHOST:3000", loopback, true),
            ("[::1]:3000", loopback, true),
            ("127.0.0.1:3001", loopback, false),
            ("127.0.0.1", loopback, false),
            ("evil.example:3000", loopback, false),
            ("localhost.evil.example:3000", loopback, false),
            ("192.168.1.20:3000", lan, true),
            ("192.168.1.20:3000", loopback, false),
            ("0.0.0.0:3000", any, false),
            ("", loopback, false),
        ];
        for (host, listen, want) in table {
            assert_eq!(allowed(host, listen), want, "Host {host:?} on {listen}");
        }
    }
}
