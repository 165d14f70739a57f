//! SHA-256 of every input file (info.json `hashes`), computed in parallel.

use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

fn walk(p: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 64 {
        return;
    }
    let Ok(md) = std::fs::symlink_metadata(p) else {
        return;
    };
    if md.is_file() {
        out.push(p.to_path_buf());
    } else if md.is_dir()
        && let Ok(rd) = std::fs::read_dir(p)
    {
        let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            walk(&e, out, depth + 1);
        }
    }
}

pub fn sha256_file(p: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// `(path, sha256)` of every regular file under `input` (or of `input` itself), sorted by path.
/// Symbolic links are not followed.
pub fn hash_inputs(input: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    walk(input, &mut files, 0);
    files
        .par_iter()
        .map(|p| {
            let h = sha256_file(p).unwrap_or_else(|e| format!("error: {e}"));
            (p.display().to_string(), h)
        })
        .collect()
}
