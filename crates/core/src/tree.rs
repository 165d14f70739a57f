//! [`PathTree`]: a compact index of logical paths (an arena tree), for archives and dumps of a million
//! files and more.
//!
//! Component names live in one string arena and nodes are small fixed-size records, so an index of a
//! million paths costs tens of megabytes instead of the hundreds a map of owned strings would. Paths are
//! inserted in any order (building uses a hash of `(parent, name)`); [`PathTree::finish`] then sorts the
//! children of every folder so that lookups are binary searches and walks come out in path order.

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::evidence::glob_match;

/// No node.
pub const NONE: u32 = u32::MAX;
/// The root node (the empty path).
pub const ROOT: u32 = 0;

#[derive(Debug, Clone, Copy)]
struct Node {
    parent: u32,
    name_off: u32,
    name_len: u32,
    first_child: u32,
    n_children: u32,
}

/// A tree of paths with a value of type `T` per node (files and folders alike). See the module
/// documentation.
pub struct PathTree<T> {
    names: String,
    nodes: Vec<Node>,
    data: Vec<T>,
    children: Vec<u32>,
    index: HashMap<(u32, u64), u32>,
    hasher: std::hash::RandomState,
    finished: bool,
    /// Node ids of the components of the last inserted path (most archives list a folder's members
    /// together, so most components are found here without hashing).
    last: Vec<(u32, u32, u32)>,
}

impl<T> PathTree<T> {
    /// An empty tree whose root carries `root`.
    pub fn new(root: T) -> Self {
        PathTree {
            names: String::new(),
            nodes: vec![Node {
                parent: NONE,
                name_off: 0,
                name_len: 0,
                first_child: 0,
                n_children: 0,
            }],
            data: vec![root],
            children: Vec::new(),
            index: HashMap::new(),
            hasher: std::hash::RandomState::new(),
            finished: false,
            last: Vec::new(),
        }
    }

    /// How many nodes (the root included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() == 1
    }

    /// The node of `path` (`a/b/c`, no leading or trailing `/`), created with its missing parents;
    /// new nodes get `make()`. Only before [`PathTree::finish`]. Returns `(node, created)`.
    pub fn insert(&mut self, path: &str, mut make: impl FnMut() -> T) -> (u32, bool) {
        assert!(!self.finished, "PathTree::insert after finish");
        let mut node = ROOT;
        let mut created = false;
        let mut depth = 0usize;
        let mut reuse = true;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            // Same component as the last path at this depth?
            if reuse {
                if let Some(&(id, off, len)) = self.last.get(depth)
                    && &self.names[off as usize..(off + len) as usize] == comp
                {
                    node = id;
                    depth += 1;
                    continue;
                }
                reuse = false;
                self.last.truncate(depth);
            }
            let key = (node, self.hasher.hash_one(comp));
            let found = match self.index.get(&key) {
                Some(&id) if self.name(id) == comp => Some(id),
                Some(_) => self.slow_child(node, comp),
                None => None,
            };
            let id = match found {
                Some(id) => {
                    created = false;
                    id
                }
                None => {
                    let id = self.nodes.len() as u32;
                    let name_off = self.names.len() as u32;
                    self.names.push_str(comp);
                    self.nodes.push(Node {
                        parent: node,
                        name_off,
                        name_len: comp.len() as u32,
                        first_child: 0,
                        n_children: 0,
                    });
                    self.data.push(make());
                    self.index.entry(key).or_insert(id);
                    created = true;
                    id
                }
            };
            let n = &self.nodes[id as usize];
            self.last.push((id, n.name_off, n.name_len));
            node = id;
            depth += 1;
        }
        if reuse {
            self.last.truncate(depth);
        }
        (node, created)
    }

    /// A child by name when its hash slot is taken by another name (a 64-bit collision): linear scan.
    fn slow_child(&self, parent: u32, comp: &str) -> Option<u32> {
        (1..self.nodes.len() as u32)
            .find(|&i| self.nodes[i as usize].parent == parent && self.name(i) == comp)
    }

    /// Sorts every folder's children by name and drops the building index. Lookups, walks and
    /// [`PathTree::find`] need it.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.index = HashMap::new();
        self.last = Vec::new();
        let n = self.nodes.len();
        let mut counts = vec![0u32; n];
        for node in &self.nodes[1..] {
            counts[node.parent as usize] += 1;
        }
        let mut start = 0u32;
        for (i, c) in counts.iter().enumerate() {
            self.nodes[i].first_child = start;
            self.nodes[i].n_children = 0;
            start += c;
        }
        self.children = vec![0; n.saturating_sub(1)];
        for i in 1..n {
            let p = self.nodes[i].parent as usize;
            let slot = self.nodes[p].first_child + self.nodes[p].n_children;
            self.children[slot as usize] = i as u32;
            self.nodes[p].n_children += 1;
        }
        let names = &self.names;
        let nodes = &self.nodes;
        for node in nodes.iter() {
            let s = node.first_child as usize;
            let e = s + node.n_children as usize;
            self.children[s..e].sort_unstable_by(|&a, &b| {
                let na = &nodes[a as usize];
                let nb = &nodes[b as usize];
                names[na.name_off as usize..(na.name_off + na.name_len) as usize]
                    .cmp(&names[nb.name_off as usize..(nb.name_off + nb.name_len) as usize])
            });
        }
        self.names.shrink_to_fit();
        self.nodes.shrink_to_fit();
        self.data.shrink_to_fit();
        self.finished = true;
    }

    /// The last component of a node's path (empty for the root).
    pub fn name(&self, id: u32) -> &str {
        let n = &self.nodes[id as usize];
        &self.names[n.name_off as usize..(n.name_off + n.name_len) as usize]
    }

    pub fn parent(&self, id: u32) -> Option<u32> {
        let p = self.nodes[id as usize].parent;
        (p != NONE).then_some(p)
    }

    pub fn data(&self, id: u32) -> &T {
        &self.data[id as usize]
    }

    pub fn data_mut(&mut self, id: u32) -> &mut T {
        &mut self.data[id as usize]
    }

    /// A node's children, sorted by name (after [`PathTree::finish`]).
    pub fn children(&self, id: u32) -> &[u32] {
        let n = &self.nodes[id as usize];
        if !self.finished {
            return &[];
        }
        &self.children[n.first_child as usize..(n.first_child + n.n_children) as usize]
    }

    /// The child of `id` named `name` (before or after [`PathTree::finish`]).
    pub fn child(&self, id: u32, name: &str) -> Option<u32> {
        if !self.finished {
            return match self.index.get(&(id, self.hasher.hash_one(name))) {
                Some(&c) if self.name(c) == name => Some(c),
                Some(_) => self.slow_child(id, name),
                None => None,
            };
        }
        let kids = self.children(id);
        kids.binary_search_by(|&k| self.name(k).cmp(name))
            .ok()
            .map(|i| kids[i])
    }

    /// The node of a path (`""` is the root).
    pub fn get(&self, path: &str) -> Option<u32> {
        let mut node = ROOT;
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            node = self.child(node, comp)?;
        }
        Some(node)
    }

    /// The full path of a node.
    pub fn path(&self, id: u32) -> String {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != ROOT && cur != NONE {
            parts.push(self.name(cur));
            cur = self.nodes[cur as usize].parent;
        }
        parts.reverse();
        parts.join("/")
    }

    /// Visits `id` and everything below it, parents before children and in name order, with each
    /// node's full path (`base` is the path of `id`). `visit` returns `false` to skip a node's children.
    pub fn walk(&self, id: u32, base: &str, visit: &mut dyn FnMut(u32, &str, &T) -> bool) {
        let mut path = String::from(base);
        // (node, length of `path` before the node's name was appended)
        let mut stack: Vec<(u32, usize)> = vec![(id, usize::MAX)];
        while let Some((node, cut)) = stack.pop() {
            if cut != usize::MAX {
                path.truncate(cut);
                if !path.is_empty() {
                    path.push('/');
                }
                path.push_str(self.name(node));
            }
            let descend = visit(node, &path, &self.data[node as usize]);
            if descend {
                let len = path.len();
                for &k in self.children(node).iter().rev() {
                    stack.push((k, len));
                }
            }
        }
    }

    /// Every node whose path (below the root) matches `pattern` (see [`glob_match`]), in path order.
    pub fn find(&self, pattern: &str) -> Vec<(u32, String)> {
        let comps: Vec<&str> = pattern.split('/').collect();
        let mut out = Vec::new();
        self.find_from(ROOT, String::new(), &comps, &mut out);
        out
    }

    fn find_from(&self, node: u32, path: String, comps: &[&str], out: &mut Vec<(u32, String)>) {
        let Some((comp, rest)) = comps.split_first() else {
            out.push((node, path));
            return;
        };
        let join = |name: &str| {
            if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}/{name}")
            }
        };
        if comp.contains("**") {
            // `**` crosses folders: match the rest of the pattern against every path below.
            let rest_pattern = comps.join("/");
            let base_len = if path.is_empty() { 0 } else { path.len() + 1 };
            for &k in self.children(node) {
                let start = join(self.name(k));
                self.walk(k, &start, &mut |id, p, _| {
                    if glob_match(&rest_pattern, &p[base_len..]) {
                        out.push((id, p.to_string()));
                    }
                    true
                });
            }
            return;
        }
        if comp.contains(['*', '?']) {
            for &k in self.children(node) {
                if glob_match(comp, self.name(k)) {
                    self.find_from(k, join(self.name(k)), rest, out);
                }
            }
        } else if let Some(k) = self.child(node, comp) {
            self.find_from(k, join(comp), rest, out);
        }
    }

    /// Approximate heap bytes held (for the benchmarks).
    pub fn heap_bytes(&self) -> usize {
        self.names.capacity()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.data.capacity() * std::mem::size_of::<T>()
            + self.children.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(paths: &[&str]) -> PathTree<u8> {
        let mut t = PathTree::new(0u8);
        for p in paths {
            let (id, _) = t.insert(p, || 0);
            *t.data_mut(id) = 1;
        }
        t.finish();
        t
    }

    #[test]
    fn insert_lookup_walk() {
        let t = tree(&[
            "private/var/mobile/Library/SMS/sms.db",
            "private/var/mobile/Library/SMS/sms.db-wal",
            "private/var/db/x",
            "System/Library/y",
            "private/var/mobile/Library/Safari/History.db",
        ]);
        let id = t.get("private/var/mobile/Library/SMS/sms.db").unwrap();
        assert_eq!(t.path(id), "private/var/mobile/Library/SMS/sms.db");
        assert_eq!(*t.data(id), 1);
        assert_eq!(*t.data(t.get("private/var").unwrap()), 0);
        assert!(t.get("private/var/mobile/Library/SMS/nope").is_none());
        assert_eq!(t.get(""), Some(ROOT));
        let mut seen = Vec::new();
        t.walk(ROOT, "", &mut |_, p, _| {
            seen.push(p.to_string());
            true
        });
        assert_eq!(seen[0], "");
        assert_eq!(seen[1], "System");
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "walk is in path order");
        assert_eq!(seen.len(), 15);
        // Re-inserting finds the same node.
        let mut t2 = PathTree::new(0u8);
        let (a, c1) = t2.insert("a/b/c", || 0);
        let (b, c2) = t2.insert("a/b/c", || 0);
        let (_, c3) = t2.insert("a/x", || 0);
        let (d, _) = t2.insert("a/b/c", || 0);
        assert_eq!(
            (a == b, c1, c2, c3, a == d),
            (true, true, false, true, true)
        );
    }

    #[test]
    fn find_globs() {
        let t = tree(&[
            "private/var/mobile/Containers/Data/Application/A/Library/Caches/Cache.db",
            "private/var/mobile/Containers/Data/Application/B/Library/Caches/x/Cache.db",
            "private/var/mobile/Containers/Data/Application/B/Library/Safari/History.db",
            "private/var/Keychains/Analytics/a.db",
            "private/var/Keychains/Analytics/b.db-wal",
        ]);
        let paths = |p: &str| t.find(p).into_iter().map(|(_, s)| s).collect::<Vec<_>>();
        assert_eq!(
            paths("private/var/mobile/Containers/Data/Application/*/Library/Safari/History.db"),
            vec!["private/var/mobile/Containers/Data/Application/B/Library/Safari/History.db"]
        );
        assert_eq!(paths("private/var/**/Cache.db").len(), 2);
        assert_eq!(paths("**/Cache.db").len(), 2);
        assert_eq!(
            paths("private/var/Keychains/Analytics/*.db"),
            vec!["private/var/Keychains/Analytics/a.db"]
        );
        assert_eq!(paths("private/var/Keychains/Analytics/**").len(), 2);
        assert!(paths("nope/**").is_empty());
    }

    #[test]
    fn deep_paths_walk_without_recursion() {
        let deep = "a/".repeat(100_000) + "leaf";
        let t = tree(&[&deep]);
        let mut n = 0;
        t.walk(ROOT, "", &mut |_, _, _| {
            n += 1;
            true
        });
        assert_eq!(n, 100_002);
    }
}
