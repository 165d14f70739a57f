//! Compiles the built-in indicator snapshot (data/*.stix2, listed in data/sets.json) into the
//! binary: each bundle is parsed with the crate's own loader (src/stix.rs), attributed, written in
//! the loader's compact line format and zlib-compressed, so start-up parses no JSON.

#[allow(dead_code)]
#[path = "src/fxhash.rs"]
mod fxhash;
#[allow(dead_code)]
#[path = "src/stix.rs"]
mod stix;

/// The subset of the crate's error type that src/stix.rs uses.
#[allow(dead_code)]
#[derive(Debug)]
enum IocError {
    Json {
        file: String,
        source: serde_json::Error,
    },
    Invalid {
        file: String,
        message: String,
    },
    TooLarge {
        file: String,
        limit: u64,
    },
}

use std::io::Write;
use std::path::Path;

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
        let bundle =
            stix::parse_bundle(&bytes, file).unwrap_or_else(|e| panic!("data/{file}: {e:?}"));
        let min = bundle
            .to_compact()
            .unwrap_or_else(|| panic!("data/{file}: tab or newline in a string"));
        let min = min.as_bytes();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(min).expect("compress");
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
