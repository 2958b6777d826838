//! Catalog indexes kept on disk in the server's data folder, so a restart opens the index it built before
//! (memory-mapped: fast, and resident memory stays low) instead of importing every feed into memory again.
//!
//! Layout: `DATA/index/<fingerprint>/` holds one tantivy index and its manifest `catalog.json` (the fields it was
//! built with). The fingerprint covers the feed files (names, sizes, modification times), the import options and
//! [`SCHEMA_VERSION`], so a change to any of them names a new folder and the next open builds it.
//!
//! Invariants:
//! - **A half-built index is never opened**: a build writes into a `.building-*` folder, which is renamed into
//!   place only after the tantivy commit and the manifest are on disk; a crash leaves a `.building-*` folder that
//!   the next open removes.
//! - **A folder is removed only when no catalog opened from it is alive**: every catalog holds a [`Lease`] on its
//!   folder; when the last lease on a folder that is no longer current is dropped (the last search on the old
//!   catalog finished after a reload swapped it out), the folder goes. Opening a new current folder also removes
//!   the folders nobody leases (those of earlier runs). On Linux an open mmap keeps a deleted file readable, but
//!   the leases mean nothing relies on that.
//! - A feed replaced by one of the same size and modification time is still noticed on Unix: the fingerprint also
//!   covers the file's inode and status-change time, which a copy that keeps the modification time (`cp -p`,
//!   `rsync -t`, unpacking an archive) or a rename over the old file cannot keep. A `chmod` changes them too, which
//!   costs a rebuild, not a wrong index.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::feed::{self, ImportOptions, ImportReport};
use super::index::IndexError;
use super::{Catalog, FieldKind, Fields};

/// Bumped whenever the index layout changes (schema, tokenizer, stored document): old folders are then rebuilt.
pub const SCHEMA_VERSION: u32 = 1;
/// The manifest beside every index written to disk.
pub const MANIFEST: &str = "catalog.json";
const BUILDING: &str = ".building-";

/// The manifest: what a reader needs besides the tantivy index. A stored type, versioned.
#[derive(Serialize, Deserialize)]
struct Manifest {
    version: u32,
    fields: BTreeMap<String, FieldKind>,
}

/// How a catalog came to be served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Built in memory (tests, `shopkeep check` and `test`, a server without a data folder).
    Memory,
    /// Built into this folder just now.
    Built(PathBuf),
    /// Opened from this folder, built earlier from the same feeds.
    Reused(PathBuf),
    /// Opened from a folder written by `shopkeep index --out`.
    Opened(PathBuf),
}

impl Origin {
    /// One word for `/healthz`: `memory`, `built`, `reused` or `opened`.
    pub fn word(&self) -> &'static str {
        match self {
            Origin::Memory => "memory",
            Origin::Built(_) => "built",
            Origin::Reused(_) => "reused",
            Origin::Opened(_) => "opened",
        }
    }
}

/// The index folders of one data folder. Cheap to clone: clones share which folder is current and the leases.
#[derive(Clone)]
pub struct Shelf {
    inner: Arc<ShelfInner>,
}

struct ShelfInner {
    root: PathBuf,
    options: ImportOptions,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    current: Option<PathBuf>,
    leases: HashMap<PathBuf, usize>,
}

impl std::fmt::Debug for Shelf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shelf")
            .field("root", &self.inner.root)
            .finish()
    }
}

/// A catalog's hold on the folder it was opened from; see the module docs.
pub(crate) struct Lease {
    shelf: Shelf,
    folder: PathBuf,
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut state = self.shelf.state();
        let left = state.leases.get_mut(&self.folder).map(|n| {
            *n -= 1;
            *n
        });
        if left == Some(0) {
            state.leases.remove(&self.folder);
            if state.current.as_ref() != Some(&self.folder) {
                remove(&self.folder);
            }
        }
    }
}

fn folder_error(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Folder {
        path: path.to_path_buf(),
        source,
    }
}

fn remove(folder: &Path) {
    match std::fs::remove_dir_all(folder) {
        Ok(()) => tracing::info!(folder = %folder.display(), "removed an index no longer served"),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            tracing::warn!(folder = %folder.display(), %error, "cannot remove an old index folder")
        }
    }
}

impl Shelf {
    /// The index folders under `root` (the server's `DATA/index`), for feeds read with `options`.
    pub fn new(root: PathBuf, options: ImportOptions) -> Shelf {
        Shelf {
            inner: Arc::new(ShelfInner {
                root,
                options,
                state: Mutex::new(State::default()),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The catalog of the feeds in `feeds`: opened from its folder when the feeds are unchanged since it was
    /// built, else built into a new folder first (then the reports list skipped rows; a reused index has none).
    /// Blocking, and a build takes as long as `shopkeep index`.
    pub fn open(&self, feeds: &Path) -> Result<(Catalog, Vec<ImportReport>), IndexError> {
        let root = &self.inner.root;
        std::fs::create_dir_all(root).map_err(folder_error(root))?;
        let fingerprint = fingerprint(feeds, &self.inner.options)?;
        let folder = root.join(&fingerprint);
        let (reports, origin) = if folder.join(MANIFEST).is_file() {
            (Vec::new(), Origin::Reused(folder.clone()))
        } else {
            let building = root.join(format!("{BUILDING}{fingerprint}-{}", std::process::id()));
            // A folder without its manifest was never finished (or was damaged): it is built again.
            for stray in [&building, &folder] {
                if stray.exists() {
                    std::fs::remove_dir_all(stray).map_err(folder_error(stray))?;
                }
            }
            let (_, reports) =
                Catalog::build(feeds, &self.inner.options, Some(&building), &mut |_, _| {})?;
            if let Err(error) = std::fs::rename(&building, &folder) {
                // Another process built the same feeds first: serve its folder, which is just as good.
                if !folder.join(MANIFEST).is_file() {
                    return Err(folder_error(&folder)(error));
                }
                remove(&building);
            }
            (reports, Origin::Built(folder.clone()))
        };
        let lease = self.lease(&folder);
        let catalog = Catalog::open_dir_with(&folder, origin, Some(lease))?;
        self.sweep();
        Ok((catalog, reports))
    }

    /// Makes `folder` current and leases it to the catalog about to be opened from it.
    fn lease(&self, folder: &Path) -> Lease {
        let mut state = self.state();
        state.current = Some(folder.to_path_buf());
        *state.leases.entry(folder.to_path_buf()).or_default() += 1;
        Lease {
            shelf: self.clone(),
            folder: folder.to_path_buf(),
        }
    }

    /// Removes every folder under the root that is neither current nor leased: earlier runs' indexes and builds
    /// a crash left behind.
    fn sweep(&self) {
        let Ok(entries) = std::fs::read_dir(&self.inner.root) else {
            return;
        };
        let state = self.state();
        for path in entries.filter_map(Result::ok).map(|e| e.path()) {
            if path.is_dir()
                && state.current.as_ref() != Some(&path)
                && !state.leases.contains_key(&path)
            {
                remove(&path);
            }
        }
    }
}

/// The folder name for `feeds` read with `options`: see the module docs.
pub fn fingerprint(feeds: &Path, options: &ImportOptions) -> Result<String, IndexError> {
    let mut source = format!(
        "schema {SCHEMA_VERSION}\ncurrency {}\nseparator {:?}\n",
        options.default_currency, options.list_separator
    );
    for file in feed::files(feeds)? {
        let meta = std::fs::metadata(&file).map_err(folder_error(&file))?;
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        source.push_str(&format!(
            "{} {} {modified}{}\n",
            name.unwrap_or_default(),
            meta.len(),
            identity(&meta)
        ));
    }
    Ok(crate::text::fingerprint(&source))
}

/// What tells two files of the same name, size and modification time apart: on Unix, the inode and the
/// status-change time (set by the kernel on every write, rename or `chmod`, and not settable by tools).
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(" {} {}.{}", meta.ino(), meta.ctime(), meta.ctime_nsec())
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> String {
    String::new()
}

/// Writes the manifest of an index just committed into `folder`.
pub(crate) fn write_manifest(folder: &Path, fields: &Fields) -> Result<(), IndexError> {
    let manifest = Manifest {
        version: SCHEMA_VERSION,
        fields: fields.iter().map(|(n, k)| (n.to_string(), k)).collect(),
    };
    let path = folder.join(MANIFEST);
    let json = serde_json::to_vec_pretty(&manifest).expect("a manifest always serialises");
    std::fs::write(&path, json).map_err(folder_error(&path))
}

/// The fields recorded in the manifest of `folder`.
pub(crate) fn read_manifest(folder: &Path) -> Result<Fields, IndexError> {
    let path = folder.join(MANIFEST);
    let stale = || IndexError::Stale {
        path: folder.to_path_buf(),
    };
    let json = std::fs::read(&path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => IndexError::NotAnIndex {
            path: folder.to_path_buf(),
        },
        _ => folder_error(&path)(error),
    })?;
    let manifest: Manifest = serde_json::from_slice(&json).map_err(|_| stale())?;
    if manifest.version != SCHEMA_VERSION {
        return Err(stale());
    }
    Ok(Fields::from_kinds(manifest.fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::synthetic::generate;
    use crate::catalog::{Constraint, MatchRequest, Op, Scalar, Want};

    fn feeds(n: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let lines: Vec<String> = generate(n, 2)
            .map(|p| serde_json::to_string(&p).expect("json"))
            .collect();
        std::fs::write(dir.path().join("products.jsonl"), lines.join("\n")).expect("write");
        dir
    }

    #[test]
    fn a_feed_replaced_with_the_same_size_and_modification_time_changes_the_fingerprint() {
        let dir = feeds(20);
        let feed = dir.path().join("products.jsonl");
        let options = ImportOptions::default();
        let before = fingerprint(dir.path(), &options).expect("fingerprint");
        assert_eq!(
            fingerprint(dir.path(), &options).expect("fingerprint"),
            before,
            "stable while nothing changes"
        );
        let modified = std::fs::metadata(&feed)
            .and_then(|m| m.modified())
            .expect("mtime");
        // The same number of bytes, other content, written elsewhere and renamed over the feed, mtime kept.
        let text = std::fs::read_to_string(&feed).expect("read");
        let changed = text.replacen("\"price\":", "\"price\" :", 1);
        let changed = changed.replacen(' ', "", 1);
        assert_eq!(changed.len(), text.len());
        assert_ne!(changed, text);
        let replacement = dir.path().join("new.tmp");
        std::fs::write(&replacement, &changed).expect("write");
        std::fs::File::options()
            .write(true)
            .open(&replacement)
            .and_then(|f| f.set_modified(modified))
            .expect("set mtime");
        std::fs::rename(&replacement, &feed).expect("rename");
        assert_eq!(
            std::fs::metadata(&feed)
                .and_then(|m| m.modified())
                .expect("mtime"),
            modified
        );
        assert_ne!(
            fingerprint(dir.path(), &options).expect("fingerprint"),
            before
        );
    }

    fn request(text: &str) -> MatchRequest {
        MatchRequest {
            scope: vec![Constraint::new(
                "category",
                Op::Eq(Scalar::Text("tea".into())),
            )],
            wants: vec![Want {
                question: "price".into(),
                label: "Under ¥3,000".into(),
                any_of: vec![vec![Constraint::new("price", Op::Lte(3000.0))]],
                boosts: vec![],
            }],
            text: Some(text.into()),
            count: 5,
            in_stock_only: true,
            diversity: None,
            min: 1,
            relax_order: vec![],
        }
    }

    #[test]
    fn a_reopened_index_matches_japanese_text_as_the_one_in_memory() {
        let feeds = feeds(600);
        let data = tempfile::tempdir().expect("temp dir");
        let (in_memory, _) = Catalog::from_dir(feeds.path()).expect("in memory");
        let (built, reports) = Shelf::new(data.path().into(), ImportOptions::default())
            .open(feeds.path())
            .expect("built");
        assert!(matches!(built.origin(), Origin::Built(_)));
        assert_eq!(reports.len(), 1);
        drop(built);
        let (reused, _) = Shelf::new(data.path().into(), ImportOptions::default())
            .open(feeds.path())
            .expect("reused");
        assert!(matches!(reused.origin(), Origin::Reused(_)));
        assert_eq!(reused.len(), 600);
        for text in ["煎茶", "玉露 ギフト"] {
            let expected = in_memory.find(&request(text)).expect("find");
            assert!(!expected.hits.is_empty(), "{text}");
            assert_eq!(
                reused.find(&request(text)).expect("find"),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn a_folder_of_another_schema_version_is_refused_by_name() {
        let feeds = feeds(20);
        let out = tempfile::tempdir().expect("temp dir");
        let folder = out.path().join("index");
        Catalog::build(
            feeds.path(),
            &ImportOptions::default(),
            Some(&folder),
            &mut |_, _| {},
        )
        .expect("build");
        assert_eq!(Catalog::open_dir(&folder).expect("opens").len(), 20);
        let manifest = folder.join(MANIFEST);
        let text = std::fs::read_to_string(&manifest).expect("manifest");
        std::fs::write(&manifest, text.replace("\"version\": 1", "\"version\": 0")).expect("write");
        let error = Catalog::open_dir(&folder)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            error.contains("another version of shopkeep") && error.contains("index"),
            "{error}"
        );
        let error = Catalog::open_dir(out.path())
            .err()
            .expect("refused")
            .to_string();
        assert!(
            error.contains("no catalog.json") && error.contains("shopkeep index"),
            "{error}"
        );
    }
}
