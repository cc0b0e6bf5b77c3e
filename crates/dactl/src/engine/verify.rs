//! What a write is checked against: a fresh read of the action (templates inlined), and the
//! evidence in a PATCH's own answer (DESIGN.md §4.5).

use genesys_client::{Action, Client};

use super::{ActionFailure, Ctx};
use crate::actions::{self, explicit_timeout};

/// Read an action fresh, with its templates inlined.
///
/// When a pre-image is known, the templates it had are fetched in the same round trip as the
/// action (by their standard file names); the action's own URIs then confirm the names, and
/// anything unexpected is fetched afterwards. This keeps a verification read to one round trip.
///
/// Only a *verification* may read that way. A read that a write will be based on passes
/// `like: None`: the action (and its version) first, the templates after. Read in parallel, the
/// template text could predate a concurrent edit whose version the action read already shows,
/// and a PATCH with that version would succeed and silently put the old template back. Read in
/// this order, any edit after the version was read makes the PATCH fail with a conflict.
pub(super) async fn read_fresh(
    client: &Client,
    id: &str,
    like: Option<&Action>,
) -> Result<(Action, Option<String>), genesys_client::Error> {
    use genesys_client::{REQUEST_TEMPLATE, SUCCESS_TEMPLATE};
    let had = |f: fn(&genesys_client::ActionConfig) -> bool| {
        like.and_then(|a| a.config.as_ref()).is_some_and(f)
    };
    let want_req = had(|c| {
        c.request
            .as_ref()
            .is_some_and(|r| r.request_template.is_some())
    });
    let want_succ = had(|c| {
        c.response
            .as_ref()
            .is_some_and(|r| r.success_template.is_some())
    });
    let prefetch = |want: bool, file: &'static str| async move {
        if want {
            client
                .get_template(id, file, false)
                .await
                .ok()
                .map(|r| r.body)
        } else {
            None
        }
    };
    let (action, req_text, succ_text) = tokio::join!(
        client.get_action(id),
        prefetch(want_req, REQUEST_TEMPLATE),
        prefetch(want_succ, SUCCESS_TEMPLATE)
    );
    let r = action?;
    let (req_ref, succ_ref) = actions::template_refs(&r.body);
    let req_ok = req_ref.as_deref() == Some(REQUEST_TEMPLATE) && req_text.is_some();
    let succ_ok = succ_ref.as_deref() == Some(SUCCESS_TEMPLATE) && succ_text.is_some();
    if (req_ref.is_none() || req_ok) && (succ_ref.is_none() || succ_ok) {
        let pre = actions::with_template_text(
            &r.body,
            req_text.filter(|_| req_ok),
            succ_text.filter(|_| succ_ok),
        );
        return Ok((pre, r.correlation_id));
    }
    let pre = actions::inline_templates(client, &r.body, false).await?;
    Ok((pre, r.correlation_id))
}

/// What the answer to a PATCH that succeeded shows (DESIGN.md §4.5: evidence, not proof).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Evidence {
    /// The answer carries a config that shows the write and a version that rose.
    Proof,
    /// The answer carries no config but a version that rose.
    VersionRose,
    /// The answer carries neither config nor version, or was unreadable: no evidence.
    Nothing,
    /// The answer contradicts the write (this is what it shows); the read-back decides.
    Contradicts(String),
}

impl Evidence {
    /// Judge an answer against the action that was sent (`sent`: at the version written over).
    pub(super) fn of(sent: &Action, answered: Option<&Action>) -> Evidence {
        let Some(after) = answered else {
            return Evidence::Nothing;
        };
        if after.config.is_some() {
            // A config without a version: the config is evidence, the missing version is not.
            let mut after = after.clone();
            if after.version.is_none() {
                after.version = sent.version.map(|v| v + 1);
            }
            return match actions::verify_response(sent, &after, explicit_timeout(sent)) {
                Ok(()) => Evidence::Proof,
                Err(p) => Evidence::Contradicts(p),
            };
        }
        match (sent.version, after.version) {
            (Some(a), Some(b)) if b > a => Evidence::VersionRose,
            (_, None) => Evidence::Nothing,
            (a, b) => Evidence::Contradicts(format!("version did not go up ({a:?} -> {b:?})")),
        }
    }

    pub(super) fn label(&self) -> &'static str {
        match self {
            Evidence::Proof => "response",
            Evidence::VersionRose => "response version (the answer carried no config)",
            Evidence::Nothing => "none: the answer carried neither config nor version",
            Evidence::Contradicts(_) => "the answer disagreed",
        }
    }
}

/// Re-read the action in full (templates included) and check it is what was written.
pub(super) async fn read_back(
    ctx: &Ctx,
    id: &str,
    want: &Action,
    new: Option<i64>,
) -> Result<String, ActionFailure> {
    let (fresh, _) = read_fresh(&ctx.client, id, Some(want)).await?;
    actions::verify_full(want, &fresh, new).map_err(ActionFailure::VerifyFailed)?;
    Ok("full re-read".into())
}
