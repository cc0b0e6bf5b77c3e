//! Realism settings: how the emulator answers where the platform's published contract is
//! silent (genesys-api.md §7, DESIGN.md §6). Data like the faults: set for every org in
//! [`crate::Config::realism`], per org in [`crate::OrgCredentials::realism`], at run time with
//! [`crate::Emulator::set_realism`] or `PUT /__emulator/realism`, and by `sandbox serve` flags
//! (`--patch-response`, `--conflict-status`).
//!
//! The defaults keep the emulator as it always was (`full` answers, 409 conflicts);
//! [`Realism::pessimistic`] is the other plausible platform: a PATCH answered without the
//! action's config and a stale version refused with a 400. A stale draft publish answers 400
//! "Supplied version N does not match latest draft version M" under every setting, as the
//! platform is known to (terraform-provider-genesyscloud issue 1961).

use serde::{Deserialize, Serialize};

/// What a successful PATCH of an action or a draft answers with (U17).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PatchResponse {
    /// The written action with its config (templates by URI) and the risen version.
    #[default]
    Full,
    /// The action without its config (id, name, category, version…).
    Bare,
    /// HTTP 200 with an empty body.
    Empty,
}

/// How a write that carries a stale version is refused (U4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
pub enum ConflictStatus {
    /// 409 `request.conflict`.
    #[default]
    #[serde(rename = "409")]
    #[value(name = "409")]
    Conflict409,
    /// 400 `bad.request` "Supplied version N does not match the current version M".
    #[serde(rename = "400")]
    #[value(name = "400")]
    BadRequest400,
}

/// The realism settings of one org.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Realism {
    /// What a PATCH answers with.
    pub patch_response: PatchResponse,
    /// How a stale version is refused.
    pub conflict_status: ConflictStatus,
}

impl Realism {
    /// The pessimistic counterpart of the default: `bare` PATCH answers, 400 conflicts.
    pub fn pessimistic() -> Realism {
        Realism {
            patch_response: PatchResponse::Bare,
            conflict_status: ConflictStatus::BadRequest400,
        }
    }

    /// A short label (`full/409`, `bare/400`) for test and benchmark output.
    pub fn label(&self) -> String {
        let p = match self.patch_response {
            PatchResponse::Full => "full",
            PatchResponse::Bare => "bare",
            PatchResponse::Empty => "empty",
        };
        let c = match self.conflict_status {
            ConflictStatus::Conflict409 => "409",
            ConflictStatus::BadRequest400 => "400",
        };
        format!("{p}/{c}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_form() {
        let r: Realism =
            serde_json::from_str(r#"{"patch_response":"bare","conflict_status":"400"}"#)
                .expect("parse");
        assert_eq!(r, Realism::pessimistic());
        assert_eq!(r.label(), "bare/400");
        let d: Realism = serde_json::from_str("{}").expect("parse");
        assert_eq!(d, Realism::default());
        assert_eq!(d.label(), "full/409");
        assert!(serde_json::from_str::<Realism>(r#"{"patch":"bare"}"#).is_err());
        assert_eq!(
            serde_json::to_value(Realism::pessimistic()).expect("json"),
            serde_json::json!({"patch_response":"bare","conflict_status":"400"})
        );
    }
}
