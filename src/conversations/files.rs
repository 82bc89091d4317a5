//! Files people share in Herald's threads, passed on to the platform: each reply's
//! callback lists its files with a download link served by Herald (`GET /files/{token}`,
//! signed for the connection and expiring in 24 hours, `core::file_link`), which streams
//! the file from Slack with the bot token. The platform never holds a Slack token, a
//! link opens only its own file, and a changed or expired link is refused.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::conversations::ConversationsCtx;
use crate::core::file_link::{self, LINK_TTL_SECS, LinkError, Linked};
use crate::slack::SlackErrorCode;
use crate::workspace::Workspace;

/// Where Herald serves a file's download.
pub const DOWNLOAD_PATH: &str = "/files/{token}";

fn now_secs() -> i64 {
    crate::store::now_ms() / 1000
}

/// A file a reply shares, as the `message` event names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFile {
    pub id: String,
    pub name: Option<String>,
    pub mimetype: Option<String>,
}

/// The `files` of a reply's callback: `name`, `mimetype`, `size` (from `files.info`) and
/// `url` (Herald's link; null when Herald has no public URL, `HERALD_PUBLIC_URL`). A file
/// Slack will not describe now is listed with what the event said (`size` null): the
/// reply still goes, and its link asks Slack again when it is opened.
pub async fn callback_files(
    cx: &ConversationsCtx,
    workspace: &Workspace,
    connection_id: &str,
    files: &[SharedFile],
) -> Value {
    let key = match cx.registry.connection(connection_id).await {
        Ok(Some(connection)) => connection.keys.first().map(|k| file_link::link_key(k)),
        Ok(None) => None,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the connection to sign file links");
            None
        }
    };
    let mut out = Vec::new();
    for shared in files {
        let file = &shared.id;
        let facts = match cx.slack.file_info(workspace.bot_token.expose(), file).await {
            Ok(facts) => facts,
            Err(err) => {
                tracing::warn!(error = %err, "could not read a shared file's facts");
                crate::slack::FileFacts::default()
            }
        };
        let url = match (&cx.settings.public_url, &key) {
            (Some(public), Some(key)) => {
                let token = file_link::sign(
                    key,
                    &Linked {
                        connection_id: connection_id.to_string(),
                        team_id: workspace.team_id.clone(),
                        file_id: file.clone(),
                        expires_at: now_secs() + LINK_TTL_SECS,
                    },
                );
                Some(format!("{public}/files/{token}"))
            }
            _ => None,
        };
        out.push(json!({
            "id": file,
            "name": facts.name.or_else(|| shared.name.clone()),
            "mimetype": facts.mimetype.or_else(|| shared.mimetype.clone()),
            "size": facts.size,
            "url": url,
        }));
    }
    Value::Array(out)
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": code, "message": message})),
    )
        .into_response()
}

/// `GET /files/{token}`: the file, streamed from Slack; 403 for a link that is not
/// Herald's or was changed, 410 once it expired, 404 when Slack no longer has the file,
/// 502 when Slack cannot be reached.
pub async fn download(State(cx): State<ConversationsCtx>, Path(token): Path<String>) -> Response {
    let invalid = || {
        refuse(
            StatusCode::FORBIDDEN,
            "invalid_link",
            "this link is not valid",
        )
    };
    let Ok(claimed) = file_link::read(&token) else {
        return invalid();
    };
    let connection = match cx.registry.connection(&claimed.connection_id).await {
        Ok(Some(c)) if c.team_id == claimed.team_id => c,
        Ok(_) => return invalid(),
        Err(_) => return refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again"),
    };
    let keys: Vec<Vec<u8>> = connection
        .keys
        .iter()
        .map(|k| file_link::link_key(k))
        .collect();
    let linked = match file_link::verify(&token, &keys, now_secs()) {
        Ok(linked) => linked,
        Err(LinkError::Expired) => {
            return refuse(
                StatusCode::GONE,
                "expired",
                "this link expired; links last 24 hours",
            );
        }
        Err(_) => return invalid(),
    };
    let workspace = match cx.registry.workspace(&linked.team_id).await {
        Ok(Some(w)) => w,
        Ok(None) => {
            return refuse(
                StatusCode::GONE,
                "not_connected",
                "Herald is no longer connected to this workspace",
            );
        }
        Err(_) => return refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again"),
    };
    let bot_token = workspace.bot_token.expose();
    let facts = match cx.slack.file_info(bot_token, &linked.file_id).await {
        Ok(facts) => facts,
        Err(err)
            if err.is(&SlackErrorCode::FileNotFound) || err.is(&SlackErrorCode::FileDeleted) =>
        {
            return refuse(
                StatusCode::NOT_FOUND,
                "file_not_found",
                "Slack no longer has this file",
            );
        }
        Err(err) => {
            tracing::warn!(error = %err, "files.info failed for a download");
            return refuse(
                StatusCode::BAD_GATEWAY,
                "slack_unavailable",
                "Slack could not be asked for the file",
            );
        }
    };
    let Some(url) = facts.url_private_download.as_deref() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "file_not_found",
            "Slack has no download for this file",
        );
    };
    let answer = match cx.slack.download_private(bot_token, url).await {
        Ok(answer) if answer.status().is_success() => answer,
        Ok(answer) => {
            tracing::warn!(
                status = answer.status().as_u16(),
                "Slack refused a file download"
            );
            return refuse(
                StatusCode::BAD_GATEWAY,
                "slack_refused",
                "Slack did not give the file",
            );
        }
        Err(err) => {
            tracing::warn!(error = %err, "a file download from Slack failed");
            return refuse(
                StatusCode::BAD_GATEWAY,
                "slack_unavailable",
                "Slack could not be reached",
            );
        }
    };
    let content_type = facts
        .mimetype
        .or_else(|| {
            answer
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut response = Response::new(Body::new(answer.into_body()));
    let headers = response.headers_mut();
    if let Ok(value) = content_type.parse() {
        headers.insert(header::CONTENT_TYPE, value);
    }
    // Someone's file, served from Herald's own origin: a download, never a page a
    // browser renders or sniffs (an uploaded HTML file must not run as Herald).
    headers.insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_str(&attachment_disposition(
            facts.name.as_deref().unwrap_or("file"),
        ))
        .unwrap_or_else(|_| header::HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    response
}

/// `attachment` with the file's name (RFC 6266: an ASCII fallback and the UTF-8 name,
/// percent-encoded), so the download keeps its name and nothing in it can break the
/// header.
fn attachment_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_download_keeps_its_name_and_nothing_in_it_breaks_the_header() {
        assert_eq!(
            attachment_disposition("invoice.pdf"),
            "attachment; filename=\"invoice.pdf\"; filename*=UTF-8''invoice.pdf"
        );
        let tricky = attachment_disposition("請求書\"; x=\r\n.html");
        assert!(tricky.starts_with("attachment; filename=\"___"), "{tricky}");
        assert!(tricky.contains("%E8%AB%8B"), "{tricky}");
        assert!(!tricky.contains('\r') && !tricky.contains('\n'));
        assert!(header::HeaderValue::from_str(&tricky).is_ok());
    }
}
