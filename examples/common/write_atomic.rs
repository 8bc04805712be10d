//! Writing an output file whole or not at all, shared by every example that writes files
//! (`#[path]`-included; each example is its own crate).

#![allow(dead_code)] // each includer uses one of the two

use std::fs;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so
/// `path` is never left half-written or stale; the temporary file is removed on failure.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    write_atomic_with(path, |w| w.write_all(text.as_bytes()))
}

/// [`write_atomic`] for output written piece by piece (`write` gets the temporary file,
/// buffered), so that a big output is never held in memory whole.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
) -> Result<(), String> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| format!("{}: not a file path", path.display()))?;
    let prefix = format!(".{}.tmp", name.to_string_lossy());
    remove_stale(&dir, &prefix);
    let tmp = dir.join(format!("{prefix}{}", std::process::id()));
    let result = (|| {
        let mut f = BufWriter::with_capacity(1 << 16, fs::File::create(&tmp)?);
        write(&mut f)?;
        let f = f.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// Removes the temporary files `<prefix><pid>` that runs killed mid-write left in `dir`
/// (SIGINT, SIGTERM and SIGKILL end a process without its cleanup), skipping those of
/// processes still running. A process is known to be gone where `/proc/<pid>` can tell
/// (Linux); elsewhere nothing is removed.
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    if !Path::new("/proc/self").exists() {
        return;
    }
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
}
