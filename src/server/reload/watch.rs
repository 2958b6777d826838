//! Watching the flows and catalog folders: a change reloads what changed, after a quiet moment (an editor's save
//! is one reload).

use super::*;

/// Watches the flows and catalog folders and reloads what changed. The returned guard stops watching when dropped.
pub fn watch(state: &AppState) -> notify::Result<Watching> {
    use notify::{EventKind, RecursiveMode, Watcher as _};
    let (changes, mut changed) = tokio::sync::mpsc::unbounded_channel::<Part>();
    let settings = &state.0.settings;
    let flows_dir = absolute(&settings.flows_dir);
    let catalog_dir = absolute(&settings.catalog_dir);
    let (flows_seen, catalog_seen) = (flows_dir.clone(), catalog_dir.clone());
    // The rules file is reloaded with the flows it names.
    let rules_file = settings.rules_file.as_deref().map(absolute);
    let segments_file = settings.segments_file.as_deref().map(absolute);
    let (rules_seen, segments_seen) = (rules_file.clone(), segments_file.clone());
    // A prebuilt index is not rebuilt from the feeds when they change.
    let prebuilt = settings.prebuilt_index.is_some();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        // Reading the files (as a reload does) must not trigger another reload: only changes count.
        if !matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) {
            return;
        }
        let flows = event.paths.iter().any(|p| {
            p.starts_with(&flows_seen)
                || rules_seen.as_ref() == Some(p)
                || segments_seen.as_ref() == Some(p)
        });
        // Pictures under catalog/images/ are served from disk as they are; only feeds need a rebuild.
        let catalog = !prebuilt
            && event.paths.iter().any(|p| {
                p.starts_with(&catalog_seen) && !p.starts_with(catalog_seen.join("images"))
            });
        let part = match (flows, catalog) {
            (true, true) => Part::Both,
            (true, false) => Part::Flows,
            (false, true) => Part::Catalog,
            (false, false) => return,
        };
        let _ = changes.send(part);
    })?;
    watcher.watch(&flows_dir, RecursiveMode::NonRecursive)?;
    // Shared questions live one folder down; `flows/tests/` (conversation tests) is not watched.
    let shared_dir = flows_dir.join("shared");
    if shared_dir.is_dir() {
        watcher.watch(&shared_dir, RecursiveMode::NonRecursive)?;
    }
    watcher.watch(&catalog_dir, RecursiveMode::NonRecursive)?;
    let mut watched: Vec<&Path> = Vec::new();
    for file in [&rules_file, &segments_file] {
        if let Some(folder) = file.as_deref().and_then(Path::parent)
            && !watched.contains(&folder)
            && folder.is_dir()
        {
            // Editors save by writing a new file and renaming it: watch the folder, keep only the file's events.
            watcher.watch(folder, RecursiveMode::NonRecursive)?;
            watched.push(folder);
        }
    }
    let state = state.clone();
    let task = tokio::spawn(async move {
        while let Some(first) = changed.recv().await {
            // An editor's save is several events: wait until the folder has been quiet for a moment.
            let (mut flows, mut catalog) = (first != Part::Catalog, first != Part::Flows);
            while let Ok(Some(more)) = tokio::time::timeout(QUIET, changed.recv()).await {
                flows |= more != Part::Catalog;
                catalog |= more != Part::Flows;
            }
            let part = match (flows, catalog) {
                (true, true) => Part::Both,
                (false, true) => Part::Catalog,
                _ => Part::Flows,
            };
            match reload_off_runtime(&state, part).await {
                Ok(reloaded) => tracing::info!(
                    ?part,
                    flows = reloaded.flows,
                    products = reloaded.products,
                    "reloaded after a file change"
                ),
                Err(error) => tracing::warn!(
                    %error,
                    "a changed file was refused; still serving the previous flows and catalog"
                ),
            }
        }
    });
    Ok(Watching {
        _watcher: watcher,
        task,
    })
}

/// How long a folder must be quiet after a change before it is reloaded.
const QUIET: Duration = Duration::from_millis(300);

/// Watches the flows and catalog folders until stopped (or dropped).
pub struct Watching {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Watching {
    /// Stops watching and waits until the reloading task has let go of the server's state (and so of its store).
    pub async fn stop(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn absolute(path: &Path) -> std::path::PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}
