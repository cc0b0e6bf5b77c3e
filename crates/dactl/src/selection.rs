//! From selector flags to actions: parse the selectors, read the listing (with the drafts and
//! the integrations that classify function data actions) and apply them, and the error for
//! selectors that match nothing. Shared by every command that acts on actions.

use std::collections::{HashMap, HashSet};

use anyhow::Context as _;
use genesys_client::{Action, ListQuery};

use crate::args::SelectorArgs;
use crate::context::Context;
use crate::error::Failure;
use crate::functions::Functions;
use crate::selector::{self, Selectors};
use crate::session::Session;

/// Parse and validate the selectors of a command line (`--from-file -` reads stdin).
pub(crate) fn selectors(actions: Vec<String>, s: SelectorArgs) -> anyhow::Result<Selectors> {
    let from_file = match &s.from_file {
        None => None,
        Some(f) => {
            let content = if f == "-" {
                let mut buf = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut buf)
                    .context("cannot read the action list from stdin")?;
                buf
            } else {
                let bytes = std::fs::read(f).map_err(|e| {
                    Failure::usage(format!("cannot read `{}`: {e}", selector::shorten(f)))
                })?;
                String::from_utf8(bytes).map_err(|_| {
                    Failure::usage(format!("`{}` is not UTF-8 text", selector::shorten(f)))
                })?
            };
            Some((f.clone(), selector::parse_reference_lines(&content)))
        }
    };
    let sel = Selectors {
        actions,
        ids: s.ids,
        name: s.name,
        category: s.category,
        integration: s.integration,
        from_file,
        all: s.all,
        integration_names: HashMap::new(),
    };
    sel.validate()?;
    Ok(sel)
}

/// Read the listing (with config) and the draft ids, and apply the selectors.
pub(crate) async fn load(
    session: &Session,
    sel: &Selectors,
) -> anyhow::Result<(Vec<Action>, HashSet<String>)> {
    let client = &session.client;
    // Alongside the actions: the integrations that tell function data actions apart
    // (started once the token is there, so that refused credentials are tried once).
    client.authenticate().await?;
    if sel.integration.is_some() {
        // `--integration` may be a name: the listing that classifies names them too.
        session.integrations.start_with_names(client);
    } else {
        session.integrations.start(client);
    }
    let q = sel.server_query();
    let dq = ListQuery {
        ids: q.ids.clone(),
        include_auth_actions: true,
        ..ListQuery::default()
    };
    let (listing, drafts) = tokio::try_join!(client.list_actions(&q), client.list_drafts(&dq))?;
    let names = match sel.integration {
        Some(_) => session.integrations.names(client).await,
        None => HashMap::new(),
    };
    let drafts: HashSet<String> = drafts.into_iter().map(|d| d.id).collect();
    let narrowed = q.name.is_some() || !q.ids.is_empty();
    let named;
    let sel = if names.is_empty() {
        sel
    } else {
        named = Selectors {
            integration_names: names,
            ..sel.clone()
        };
        &named
    };
    let selected = match sel.select(&listing) {
        Err(_) if narrowed => {
            // The server's filters are a shortcut; fall back to the whole listing.
            let full = ListQuery {
                include_config: true,
                include_auth_actions: true,
                category: q.category.clone(),
                ..ListQuery::default()
            };
            let listing = client.list_actions(&full).await?;
            sel.select(&listing).map_err(|e| (e, listing))
        }
        other => other.map_err(|e| (e, listing)),
    };
    match selected {
        Ok(v) => Ok((v, drafts)),
        Err((e, listing)) if sel.integration_names.is_empty() => {
            // Only on the way to an error: say it again with the integrations' names.
            let names = session.integrations.names(client).await;
            if names.is_empty() {
                return Err(e.into());
            }
            let named = Selectors {
                integration_names: names,
                ..sel.clone()
            };
            Err(named.select(&listing).err().unwrap_or(e).into())
        }
        Err((e, _)) => Err(e.into()),
    }
}

/// The error for selectors that match nothing, with the nearest categories, names or
/// integrations of the org (one more listing: this is the error path).
pub(crate) async fn no_match(session: &Session, sel: &Selectors) -> Failure {
    let q = ListQuery {
        include_auth_actions: true,
        ..ListQuery::default()
    };
    let mut f = Failure::usage("the selectors match no action");
    match session.client.list_actions(&q).await {
        Ok(all) => {
            for h in selector::no_match_hints(sel, &all) {
                f = f.hint(h);
            }
        }
        Err(_) => f = f.hint("`dactl list` shows every action, its category and its id"),
    }
    f
}

/// The listing (with config) of the actions with these ids, by id.
pub(crate) async fn list_by_ids(
    session: &Session,
    ids: &[String],
) -> anyhow::Result<HashMap<String, Action>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let q = ListQuery {
        ids: ids.to_vec(),
        include_config: true,
        include_auth_actions: true,
        ..ListQuery::default()
    };
    let listing = session.client.list_actions(&q).await?;
    Ok(listing.into_iter().map(|a| (a.id.clone(), a)).collect())
}

/// What this command knows about function data actions among `listed` (see
/// [`crate::functions::classify`]); read failures are said once each as warnings.
pub(crate) async fn functions(ctx: &Context, session: &Session, listed: &[Action]) -> Functions {
    crate::functions::classify(
        &session.client,
        &session.integrations,
        listed,
        usize::from(ctx.global.concurrency).max(1),
        &|w| ctx.warn(w),
    )
    .await
}

/// Every action of the org (with config) and the ids of those with a draft.
pub(crate) async fn load_all(session: &Session) -> anyhow::Result<(Vec<Action>, HashSet<String>)> {
    let sel = selectors(
        Vec::new(),
        SelectorArgs {
            all: true,
            ..SelectorArgs::default()
        },
    )?;
    load(session, &sel).await
}
