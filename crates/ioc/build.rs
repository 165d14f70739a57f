//! Compiles the built-in indicator snapshot (data/*.stix2, listed in data/sets.json) into the
//! binary: each bundle is reduced to the fields the loader reads and zlib-compressed.

use std::io::Write;
use std::path::Path;

const KEEP: &[&str] = &[
    "type",
    "id",
    "name",
    "pattern",
    "pattern_type",
    "relationship_type",
    "source_ref",
    "target_ref",
    "object_refs",
];

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-changed=data");
    println!("cargo:rerun-if-changed=build.rs");
    let sets: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("sets.json")).expect("data/sets.json"))
            .expect("sets.json");
    let mut code = String::from("pub(crate) static BLOBS: &[(&str, &[u8])] = &[\n");
    for set in sets["sets"].as_array().expect("sets array") {
        let file = set["file"].as_str().expect("file");
        println!("cargo:rerun-if-changed=data/{file}");
        let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("data/{file}: {e}"));
        let mut v: serde_json::Value =
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("data/{file}: {e}"));
        if let Some(objs) = v.get_mut("objects").and_then(|o| o.as_array_mut()) {
            for o in objs.iter_mut() {
                if let Some(m) = o.as_object_mut() {
                    m.retain(|k, _| KEEP.contains(&k.as_str()));
                }
            }
        }
        let min =
            serde_json::to_vec(&serde_json::json!({"type": "bundle", "objects": v["objects"]}))
                .expect("json");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&min).expect("compress");
        let z = z.finish().expect("compress");
        let path = out.join(format!("{file}.z"));
        std::fs::write(&path, z).expect("write blob");
        code.push_str(&format!(
            "    ({file:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    std::fs::write(out.join("builtin_blobs.rs"), code).expect("write builtin_blobs.rs");
}
