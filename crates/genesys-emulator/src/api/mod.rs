//! The HTTP layer: the routes of the API, the request pipeline every request goes through
//! (`pipeline`), the OAuth token endpoint (`token`) and the handlers of the actions themselves
//! (`actions`). The draft lifecycle, test and execute live in `ops`, Architect's dependency
//! tracking in `architect`, the integrations in `integrations`, the loopback-only admin
//! endpoints in `admin`; what they share is in `http`.

mod actions;
mod pipeline;
mod token;

use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

use crate::error::ApiError;
use crate::store::ACTIONS_PATH;
use crate::{admin, ops, Emulator};

use self::actions::{
    draft_template, get_action, get_draft, list_actions, list_drafts, patch_action, patch_draft,
    template,
};
use self::pipeline::pipeline;
use self::token::token;

/// The token endpoint (on the login host in the real platform; same host here).
pub(crate) const TOKEN_PATH: &str = "/oauth/token";
/// Prefix of the loopback-only admin endpoints.
pub(crate) const ADMIN_PREFIX: &str = "/__emulator";

/// The whole app: every route, behind the pipeline.
pub(crate) fn router(emu: Emulator) -> Router {
    let base = ACTIONS_PATH;
    Router::new()
        .route(TOKEN_PATH, post(token))
        .route(base, get(list_actions))
        .route(&format!("{base}/drafts"), get(list_drafts))
        .route(&format!("{base}/categories"), get(ops::categories))
        .route(
            &format!("{base}/{{id}}"),
            get(get_action).patch(patch_action),
        )
        .route(
            &format!("{base}/{{id}}/draft"),
            get(get_draft)
                .patch(patch_draft)
                .post(ops::create_draft)
                .delete(ops::delete_draft),
        )
        .route(
            &format!("{base}/{{id}}/draft/publish"),
            post(ops::publish_draft),
        )
        .route(
            &format!("{base}/{{id}}/draft/validation"),
            get(ops::validate_draft),
        )
        .route(&format!("{base}/{{id}}/draft/test"), post(ops::test_draft))
        .route(&format!("{base}/{{id}}/test"), post(ops::test_action))
        .route(&format!("{base}/{{id}}/execute"), post(ops::execute_action))
        .route(&format!("{base}/{{id}}/templates/{{file}}"), get(template))
        .route(
            &format!("{base}/{{id}}/draft/templates/{{file}}"),
            get(draft_template),
        )
        .merge(admin::routes())
        .merge(crate::architect::routes())
        .merge(crate::integrations::routes())
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(emu.clone(), pipeline))
        .with_state(emu)
}

/// Any other path: 404 `not.found`.
async fn fallback() -> ApiError {
    ApiError::not_found()
}
