//! `POST /oauth/token` (client credentials), and reading the credentials of a request:
//! the bearer token of API calls, the Basic or form credentials of the token request.

use std::time::Instant;

use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde_json::json;

use crate::auth::ceil_secs;
use crate::http::Ctx;
use crate::Emulator;

/// `Authorization: Bearer <token>`.
pub(super) fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// `Authorization: Basic base64(id:secret)`.
pub(super) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// The first value of `key` in a form.
pub(super) fn form_field<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({
            "error": error,
            "description": description,
            "error_description": description,
        })),
    )
        .into_response()
}

/// `POST /oauth/token`: client credentials (Basic auth, or `client_id`/`client_secret` in the form).
pub(super) async fn token(
    State(emu): State<Emulator>,
    Extension(ctx): Extension<Ctx>,
    headers: HeaderMap,
) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&ctx.body).unwrap_or_default();
    match form_field(&form, "grant_type") {
        Some("client_credentials") => {}
        Some(other) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &format!("unsupported grant type: {other}"),
            )
        }
        None => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            )
        }
    }
    let creds = basic_credentials(&headers).or_else(|| {
        Some((
            form_field(&form, "client_id")?.to_owned(),
            form_field(&form, "client_secret")?.to_owned(),
        ))
    });
    let Some((id, secret)) = creds else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
        );
    };
    let Some(org) = emu
        .inner
        .orgs
        .iter()
        .position(|o| o.creds.client_id == id && o.creds.client_secret == secret)
    else {
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client not found or bad client credentials",
        );
    };
    let ttl = emu.config().token_ttl;
    let token = emu.tokens().issue(org, &id, ttl, Instant::now());
    Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": ceil_secs(ttl),
    }))
    .into_response()
}
