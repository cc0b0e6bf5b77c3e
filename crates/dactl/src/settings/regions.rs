//! Regions: a region name (or domain) or a base URL to an [`Environment`], with an error for an
//! unknown region that says where the value came from, suggests the nearest and lists them all.

use genesys_client::Environment;

use crate::error::Failure;
use crate::profiles::Endpoint;

// The client's error is large by design (it carries the decoded ErrorBody); this is cold code.
#[allow(clippy::result_large_err)]
pub(crate) fn endpoint_env(ep: &Endpoint) -> Result<Environment, genesys_client::Error> {
    match ep {
        Endpoint::Region(r) => Environment::from_region(r),
        Endpoint::BaseUrl(u) => Environment::from_base_url(u),
    }
}

/// A region named by `from`. An unknown region name is an error that says where the value
/// came from, suggests the nearest region and lists every region as a small table; URLs and
/// domains keep the client's own message.
pub(crate) fn region_env(r: &str, from: &str) -> Result<Environment, anyhow::Error> {
    match Environment::from_region(r.trim()) {
        Ok(e) => Ok(e),
        Err(e) if r.contains("://") || r.contains('.') => Err(e.into()),
        Err(_) => {
            let names = genesys_client::REGIONS.iter().map(|(n, _)| *n);
            let typed = r.trim().replace('_', "-");
            let near = crate::text::nearest(&typed, names, 2);
            let mut f = Failure::usage(format!(
                "unknown region `{}` (from {from})",
                crate::text::shorten(r.trim())
            ));
            if !near.is_empty() {
                f = f.hint(format!("did you mean {}?", crate::text::or_list(&near)));
            }
            f = f.hint("the regions (`-` or `_` both work; a domain such as `mypurecloud.ie` works too, any other host needs --base-url):");
            let cells: Vec<String> = genesys_client::REGIONS
                .iter()
                .map(|(n, d)| format!("{n:<15}{d:<23}"))
                .collect();
            let half = cells.len().div_ceil(2);
            for i in 0..half {
                let right = cells.get(i + half).map(String::as_str).unwrap_or("");
                f = f.detail(format!("  {}{}", cells[i], right).trim_end().to_string());
            }
            Err(f.into())
        }
    }
}
