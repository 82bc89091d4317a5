//! The page at `/`: plain HTML, CSS and JavaScript in the binary (no build step, nothing
//! fetched from elsewhere), so it works offline.

use axum::response::Response;

use super::api::asset;

pub async fn index() -> Response {
    asset("text/html; charset=utf-8", include_str!("page/index.html"))
}

pub async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("page/app.js"),
    )
}

pub async fn style() -> Response {
    asset("text/css; charset=utf-8", include_str!("page/style.css"))
}
