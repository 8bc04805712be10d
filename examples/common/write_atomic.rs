//! Writing an output file whole or not at all, shared by the examples that draw SVGs
//! (`#[path]`-included; each example is its own crate).

use std::fs;
use std::io::Write as _;
use std::path::Path;

/// Writes `text` to `path` through a temporary file in the same directory and a rename, so
/// `path` is never left half-written; the temporary file is removed on failure.
pub fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}
