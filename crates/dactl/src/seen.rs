//! The versions of actions that earlier commands saw, so that a change of an action dactl has
//! seen before, and that nobody has changed since, takes one round trip less.
//!
//! **Why it is safe.** A change reads the action's version before its template text, so that a
//! concurrent edit between the two reads makes the PATCH fail instead of putting the old text
//! back (see `fastpath`). What the PATCH needs is a version observed *before* the template text
//! was read. A version an earlier command saw is such a version: with it in hand, the action
//! and its templates can be read at once, and the change goes ahead only when the action read
//! still shows that very version. Then the PATCH, sent with that version, succeeds only if no
//! write happened since the earlier command saw it (every write raises the version), and so
//! only if the template text read in between is the text of that version. When the action read
//! shows another version, or anything else does not match, the command simply reads the
//! templates again after the version, as a first command does. A wrong or stale entry can
//! therefore cost two template reads, never a byte of configuration.
//!
//! **What is kept.** `$DACTL_HOME/seen/<name>.json` (0600 in 0700), one file per API host and
//! client id (the name is a hash of both): action id, name, version and timeout, for the 1,000 actions
//! seen last. Written after changes (the version the PATCH answered) and `get`, without fsync:
//! it is advisory, and a lost or torn file is an empty one. The sandbox keeps none.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use genesys_client::Action;

/// Entries kept; the oldest go first.
pub const MAX_ENTRIES: usize = 1_000;
/// Files larger than this are not read.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// One action as an earlier command saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeenAction {
    /// The action's name when it was seen.
    pub name: String,
    /// Its version then.
    pub version: i64,
    /// Its explicit timeout then (`None`: the platform default).
    #[serde(default)]
    pub timeout: Option<i64>,
    /// Unix seconds when it was seen (for dropping the oldest).
    pub seen_at: i64,
}

#[derive(Default, serde::Serialize, serde::Deserialize)]
struct SeenFile {
    format: u32,
    actions: BTreeMap<String, SeenAction>,
}

/// The versions seen by earlier commands for one API host and client id.
#[derive(Debug)]
pub struct Seen {
    path: PathBuf,
    earlier: BTreeMap<String, SeenAction>,
    now: Mutex<BTreeMap<String, SeenAction>>,
}

impl Seen {
    /// Load what earlier commands saw (nothing when the file is missing or unreadable).
    pub fn load(home: &Path, api_base: &str, client_id: &str) -> Seen {
        let name = crate::fsutil::hashed_name(&[api_base.as_bytes(), client_id.as_bytes()]);
        let path = home.join("seen").join(format!("{name}.json"));
        let earlier = Seen::load_path(&path);
        Seen {
            path,
            earlier,
            now: Mutex::new(BTreeMap::new()),
        }
    }

    /// What an earlier command saw of the action with this id.
    pub fn by_id(&self, id: &str) -> Option<(String, SeenAction)> {
        self.earlier.get(id).map(|s| (id.to_string(), s.clone()))
    }

    /// What an earlier command saw of the one action with this exact name (none when several
    /// seen actions share it).
    pub fn by_name(&self, name: &str) -> Option<(String, SeenAction)> {
        let mut found = self.earlier.iter().filter(|(_, s)| s.name == name);
        let first = found.next()?;
        if found.next().is_some() {
            return None;
        }
        Some((first.0.clone(), first.1.clone()))
    }

    /// Note that this command saw `id` at `version`.
    pub fn record(&self, id: &str, name: &str, version: Option<i64>, timeout: Option<i64>) {
        let Some(version) = version else { return };
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        now.insert(
            id.to_string(),
            SeenAction {
                name: name.to_string(),
                version,
                timeout,
                seen_at: chrono::Utc::now().timestamp(),
            },
        );
    }

    /// Note an action as read.
    pub fn record_action(&self, a: &Action) {
        self.record(
            &a.id,
            &a.name,
            a.version,
            crate::actions::explicit_timeout(a),
        );
    }

    /// Write what this command saw on top of what earlier ones did (nothing when it saw
    /// nothing). Failures are logged, never raised: the file is advisory.
    pub fn save(&self) {
        let now = std::mem::take(&mut *self.now.lock().unwrap_or_else(|e| e.into_inner()));
        if now.is_empty() {
            return;
        }
        // Re-read: another command may have written since this one started.
        let mut all = Seen::load_path(&self.path);
        all.extend(now);
        if all.len() > MAX_ENTRIES {
            let mut by_age: Vec<(i64, String)> =
                all.iter().map(|(id, s)| (s.seen_at, id.clone())).collect();
            by_age.sort();
            for (_, id) in by_age.iter().take(all.len() - MAX_ENTRIES) {
                all.remove(id);
            }
        }
        let file = SeenFile {
            format: 1,
            actions: all,
        };
        let result = serde_json::to_vec(&file)
            .map_err(std::io::Error::other)
            .and_then(|b| crate::fsutil::write_private_unsynced(&self.path, &b));
        if let Err(e) = result {
            tracing::debug!(path = %self.path.display(), error = %e, "seen versions not saved");
        }
    }

    /// The entries of a seen file; none when it is missing, too large or unreadable.
    fn load_path(path: &Path) -> BTreeMap<String, SeenAction> {
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.len() <= MAX_FILE_BYTES)
            .and_then(|_| std::fs::read(path).ok())
            .and_then(|b| serde_json::from_slice::<SeenFile>(&b).ok())
            .filter(|f| f.format == 1)
            .map(|f| f.actions)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_one_command_saw_the_next_one_finds() {
        let home = tempfile::tempdir().unwrap();
        let s = Seen::load(home.path(), "https://api.example", "c1");
        assert!(s.by_id("a1").is_none());
        s.record("a1", "Lookup", Some(7), Some(30));
        s.record("a2", "Twin", Some(1), None);
        s.record("a3", "Twin", Some(2), None);
        s.record("a4", "No version", None, None);
        assert!(s.by_id("a1").is_none(), "not visible to the command itself");
        s.save();
        let next = Seen::load(home.path(), "https://api.example", "c1");
        assert_eq!(next.by_id("a1").unwrap().1.version, 7);
        assert_eq!(next.by_id("a1").unwrap().1.timeout, Some(30));
        assert_eq!(next.by_name("Lookup").unwrap().0, "a1");
        assert!(next.by_name("Twin").is_none(), "ambiguous");
        assert!(next.by_id("a4").is_none());
        // Another host or client sees nothing of it.
        assert!(Seen::load(home.path(), "https://api.other", "c1")
            .by_id("a1")
            .is_none());
        assert!(Seen::load(home.path(), "https://api.example", "c2")
            .by_id("a1")
            .is_none());
    }

    #[test]
    fn later_commands_add_and_the_oldest_go() {
        let home = tempfile::tempdir().unwrap();
        let s = Seen::load(home.path(), "h", "c");
        for i in 0..MAX_ENTRIES {
            s.record(&format!("old-{i}"), "n", Some(1), None);
        }
        s.save();
        let mut f: SeenFile = serde_json::from_slice(
            &std::fs::read(
                home.path()
                    .join("seen")
                    .read_dir()
                    .unwrap()
                    .next()
                    .unwrap()
                    .unwrap()
                    .path(),
            )
            .unwrap(),
        )
        .unwrap();
        for e in f.actions.values_mut() {
            e.seen_at -= 100;
        }
        let path = Seen::load(home.path(), "h", "c").path.clone();
        std::fs::write(&path, serde_json::to_vec(&f).unwrap()).unwrap();
        let s = Seen::load(home.path(), "h", "c");
        s.record("new", "n", Some(3), None);
        s.save();
        let s = Seen::load(home.path(), "h", "c");
        assert_eq!(s.earlier.len(), MAX_ENTRIES);
        assert_eq!(s.by_id("new").unwrap().1.version, 3);
    }

    #[test]
    fn a_damaged_file_is_an_empty_one() {
        let home = tempfile::tempdir().unwrap();
        let path = Seen::load(home.path(), "h", "c").path.clone();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        for junk in ["", "{", "[]", "{\"format\":2,\"actions\":{}}"] {
            std::fs::write(&path, junk).unwrap();
            assert!(
                Seen::load(home.path(), "h", "c").earlier.is_empty(),
                "{junk}"
            );
        }
    }
}
