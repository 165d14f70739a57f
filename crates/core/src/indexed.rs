//! [`IndexedFolder`]: a folder whose listing is read once, on first need, into a compact in-memory
//! index ([`PathTree`]), so that a folder of a million files (an extracted filesystem dump) is walked
//! once however many modules search it.
//!
//! The index is a snapshot of the folder when it was first listed: `exists`, `find`, `walk` and
//! `modified` answer from it; bytes are read from the folder ([`FolderEvidence`]: links that lead
//! outside are refused). Symbolic links are listed as links and never followed: a link is not a file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::evidence::{
    Entry, EntryKind, Evidence, EvidenceError, FolderEvidence, LocalFile, TimeSource, WalkEntry,
};
use crate::tree::{PathTree, ROOT};

#[derive(Debug, Clone, Copy)]
struct Meta {
    kind: u8,
    mode: u16,
    size: u64,
    /// Unix seconds and nanoseconds; `i64::MIN` when unknown.
    secs: i64,
    nanos: u32,
    link: u32,
}

const DIR: u8 = 0;
const FILE: u8 = 1;
const LINK: u8 = 2;

impl Meta {
    fn dir() -> Meta {
        Meta {
            kind: DIR,
            mode: 0,
            size: 0,
            secs: i64::MIN,
            nanos: 0,
            link: u32::MAX,
        }
    }
    fn modified(&self) -> Option<jiff::Timestamp> {
        (self.secs != i64::MIN)
            .then(|| jiff::Timestamp::new(self.secs, self.nanos as i32).ok())
            .flatten()
    }
}

struct Index {
    tree: PathTree<Meta>,
    links: Vec<Box<str>>,
}

/// A folder with a lazily built in-memory listing. See the module documentation.
pub struct IndexedFolder {
    folder: FolderEvidence,
    index: OnceLock<Index>,
}

impl IndexedFolder {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, EvidenceError> {
        Ok(IndexedFolder {
            folder: FolderEvidence::new(root)?,
            index: OnceLock::new(),
        })
    }

    pub fn root(&self) -> &Path {
        self.folder.root()
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut tree = PathTree::new(Meta::dir());
            let mut links = Vec::new();
            let _ = self.folder.walk("", &mut |e| {
                let (id, _) = tree.insert(e.path, Meta::dir);
                let (secs, nanos) = match e.modified {
                    Some(t) => (t.as_second(), t.subsec_nanosecond().max(0) as u32),
                    None => (i64::MIN, 0),
                };
                let mut m = Meta {
                    kind: match e.kind {
                        EntryKind::Dir => DIR,
                        EntryKind::File => FILE,
                        EntryKind::Symlink => LINK,
                    },
                    mode: e.mode.unwrap_or(0) as u16,
                    size: e.size.unwrap_or(0),
                    secs,
                    nanos,
                    link: u32::MAX,
                };
                if let Some(t) = e.link_target {
                    m.link = links.len() as u32;
                    links.push(t.into());
                }
                *tree.data_mut(id) = m;
                true
            });
            tree.finish();
            Index { tree, links }
        })
    }

    /// Approximate bytes held by the index (for the benchmarks).
    pub fn memory_bytes(&self) -> usize {
        self.index.get().map_or(0, |i| i.tree.heap_bytes())
    }

    fn meta(&self, path: &str) -> Option<Meta> {
        let ix = self.index();
        ix.tree.get(path).map(|id| *ix.tree.data(id))
    }
}

impl Evidence for IndexedFolder {
    fn describe(&self) -> String {
        self.folder.describe()
    }
    fn exists(&self, path: &str) -> bool {
        self.meta(path).is_some_and(|m| m.kind == FILE)
    }
    fn find(&self, pattern: &str) -> Result<Vec<Entry>, EvidenceError> {
        let ix = self.index();
        Ok(ix
            .tree
            .find(pattern)
            .into_iter()
            .filter_map(|(id, path)| {
                let m = ix.tree.data(id);
                (m.kind == FILE).then_some(Entry {
                    path,
                    size: Some(m.size),
                })
            })
            .collect())
    }
    fn open(&self, path: &str) -> Result<Box<dyn Read + Send + '_>, EvidenceError> {
        self.folder.open(path)
    }
    fn local_file(&self, path: &str) -> Result<LocalFile, EvidenceError> {
        self.folder.local_file(path)
    }
    fn read_limited(&self, path: &str, limit: u64) -> Result<Vec<u8>, EvidenceError> {
        self.folder.read_limited(path, limit)
    }
    fn modified(&self, path: &str) -> Option<jiff::Timestamp> {
        self.meta(path).and_then(|m| m.modified())
    }
    fn walk(
        &self,
        folder: &str,
        visit: &mut dyn FnMut(&WalkEntry<'_>) -> bool,
    ) -> Result<(), EvidenceError> {
        let ix = self.index();
        let folder = folder.trim_matches('/');
        let Some(start) = ix.tree.get(folder) else {
            return Ok(());
        };
        ix.tree.walk(start, folder, &mut |id, p, m| {
            if id == start || id == ROOT {
                return true;
            }
            let kind = match m.kind {
                FILE => EntryKind::File,
                LINK => EntryKind::Symlink,
                _ => EntryKind::Dir,
            };
            visit(&WalkEntry {
                path: p,
                kind,
                size: (kind == EntryKind::File).then_some(m.size),
                modified: m.modified(),
                time_source: Some(TimeSource::FileSystem),
                link_target: ix.links.get(m.link as usize).map(|s| &**s),
                mode: Some(m.mode as u32),
            })
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_answers_listing_and_reads_go_to_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("dump");
        std::fs::create_dir_all(root.join("private/var/mobile/Library/SMS")).unwrap();
        std::fs::write(root.join("private/var/mobile/Library/SMS/sms.db"), b"db").unwrap();
        std::fs::create_dir_all(root.join("private/var/empty")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("private/var", root.join("var")).unwrap();
        let ev = IndexedFolder::new(&root).unwrap();
        assert!(ev.exists("private/var/mobile/Library/SMS/sms.db"));
        assert!(!ev.exists("private/var/empty"));
        assert!(
            !ev.exists("var/mobile/Library/SMS/sms.db"),
            "links are not followed"
        );
        assert_eq!(
            ev.read("private/var/mobile/Library/SMS/sms.db").unwrap(),
            b"db"
        );
        assert_eq!(ev.find("**/sms.db").unwrap().len(), 1);
        assert!(
            ev.modified("private/var/mobile/Library/SMS/sms.db")
                .is_some()
        );
        let mut kinds = Vec::new();
        ev.walk("", &mut |e| {
            kinds.push((
                e.path.to_string(),
                e.kind,
                e.link_target.map(str::to_string),
            ));
            true
        })
        .unwrap();
        assert!(kinds.contains(&("private/var/empty".into(), EntryKind::Dir, None)));
        #[cfg(unix)]
        assert!(kinds.contains(&("var".into(), EntryKind::Symlink, Some("private/var".into()))));
        // A snapshot: a file added later is not listed.
        std::fs::write(root.join("private/var/late.txt"), b"x").unwrap();
        assert!(!ev.exists("private/var/late.txt"));
        assert!(ev.memory_bytes() > 0);
    }
}
