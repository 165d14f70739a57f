//! Opening one input: format sniffing by content (never by extension), gzip/zstd decompression as
//! a stream, the SHA-256 of the raw bytes on a second thread, and dispatch to the packet reader or
//! a log reader.

use std::io::{self, Chain, Cursor, Read};
use std::sync::mpsc;

use sha2::Digest;

use crate::engine::Engine;
use crate::pcap::{self, CaptureError, PacketReader, Source};
use crate::records::InputInfo;

/// What an input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pcap,
    Pcapng,
    ZeekTsv,
    ZeekJson,
    Eve,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::Pcapng => "pcapng",
            Format::ZeekTsv => "zeek-tsv",
            Format::ZeekJson => "zeek-json",
            Format::Eve => "suricata-eve",
        }
    }
    pub fn is_log(self) -> bool {
        matches!(self, Format::ZeekTsv | Format::ZeekJson | Format::Eve)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// The format of uncompressed head bytes.
pub fn sniff_plain(head: &[u8]) -> Option<Format> {
    match pcap::sniff(head) {
        Some("pcap") => return Some(Format::Pcap),
        Some(_) => return Some(Format::Pcapng),
        None => {}
    }
    if head.starts_with(b"#separator") {
        return Some(Format::ZeekTsv);
    }
    let text = String::from_utf8_lossy(head);
    let line = text.lines().find(|l| !l.trim().is_empty())?.trim();
    if !line.starts_with('{') {
        return None;
    }
    // A complete first line is parsed; an overlong one is judged by its keys' presence.
    let obj = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line).ok();
    let has = |k: &str| match &obj {
        Some(o) => o.contains_key(k),
        None => line.contains(&format!("\"{k}\"")),
    };
    if has("event_type") && (has("timestamp") || has("src_ip")) {
        return Some(Format::Eve);
    }
    if has("id.orig_h") || (has("ts") && (has("uid") || has("fuid") || has("fingerprint"))) {
        return Some(Format::ZeekJson);
    }
    None
}

/// Compression and format of head bytes (decompressing the head when compressed).
pub fn sniff(head: &[u8]) -> Option<(Compression, Format)> {
    if head.starts_with(&[0x1f, 0x8b]) {
        let mut d = flate2::read::MultiGzDecoder::new(head);
        let mut inner = Vec::new();
        let _ = (&mut d).take(64 * 1024).read_to_end(&mut inner);
        return sniff_plain(&inner).map(|f| (Compression::Gzip, f));
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut inner = Vec::new();
        if let Ok(mut d) = ruzstd::decoding::StreamingDecoder::new(head) {
            let _ = (&mut d).take(64 * 1024).read_to_end(&mut inner);
        }
        return sniff_plain(&inner).map(|f| (Compression::Zstd, f));
    }
    sniff_plain(head).map(|f| (Compression::None, f))
}

/// Bytes read for sniffing.
pub const HEAD: usize = 256 * 1024;

/// Reads up to `n` bytes (fewer only at the end of the input).
pub fn read_head<R: Read>(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n.min(1 << 20));
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Sends every chunk read to a hashing thread (SHA-256 of the raw input). Chunk buffers go back and
/// forth between the threads, so no memory is allocated per chunk.
pub struct Hashing<R> {
    inner: R,
    tx: Option<mpsc::SyncSender<Vec<u8>>>,
    back: mpsc::Receiver<Vec<u8>>,
    handle: Option<std::thread::JoinHandle<String>>,
    pub bytes: u64,
}

/// Chunks in flight between the reader and the hashing thread.
const HASH_CHUNKS: usize = 8;

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(HASH_CHUNKS);
        let (back_tx, back) = mpsc::sync_channel::<Vec<u8>>(HASH_CHUNKS + 1);
        let handle = std::thread::spawn(move || {
            let mut h = sha2::Sha256::new();
            for chunk in rx {
                h.update(&chunk);
                let _ = back_tx.try_send(chunk);
            }
            hex::encode(h.finalize())
        });
        Hashing {
            inner,
            tx: Some(tx),
            back,
            handle: Some(handle),
            bytes: 0,
        }
    }
    /// Reads the rest of the input (so the hash covers all of it) and returns the hex digest.
    pub fn finish(mut self) -> Option<String> {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match self.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        drop(self.tx.take());
        self.handle.take()?.join().ok()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.bytes += n as u64;
            if let Some(tx) = &self.tx {
                let mut chunk = self.back.try_recv().unwrap_or_default();
                chunk.clear();
                chunk.extend_from_slice(&buf[..n]);
                let _ = tx.send(chunk);
            }
        }
        Ok(n)
    }
}

/// A reader shared with the hashing wrapper, so the wrapper can be finished after the format reader
/// is done with it.
struct Shared<'a, R>(&'a mut Hashing<R>);
impl<R: Read> Read for Shared<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

type Headed<'a, R> = Chain<Cursor<Vec<u8>>, Shared<'a, R>>;

/// Why an input could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(
        "{name}: not a capture or log telltale recognises (pcap, pcapng, gzip/zstd of either, Zeek TSV/JSON, Suricata eve.json)"
    )]
    Unrecognised { name: String },
    #[error("{name}: {source}")]
    Io { name: String, source: io::Error },
    #[error("{name}: {source}")]
    Capture { name: String, source: CaptureError },
}

/// Reads one input into the engine. A fatal framing error after some packets keeps what was read
/// (and is returned as a warning); `Err` only when nothing could be read.
pub fn read_input<R: Read>(
    engine: &mut Engine<'_>,
    name: &str,
    raw: R,
    log_hint: Option<&str>,
) -> Result<Vec<String>, InputError> {
    let mut h = Hashing::new(raw);
    let head = read_head(&mut h, HEAD).map_err(|e| InputError::Io {
        name: name.into(),
        source: e,
    })?;
    let Some((comp, format)) = sniff(&head) else {
        return Err(InputError::Unrecognised { name: name.into() });
    };
    let input = engine.cap.inputs.len() as u32;
    engine.input = input;
    engine.cap.inputs.push(InputInfo {
        name: name.to_string(),
        format: match comp {
            Compression::None => format.name().to_string(),
            Compression::Gzip => format!("{} (gzip)", format.name()),
            Compression::Zstd => format!("{} (zstd)", format.name()),
        },
        is_log: format.is_log(),
        sha256: None,
        bytes: 0,
    });
    let mut warnings = Vec::new();
    let result = {
        let stream: Headed<'_, _> = Cursor::new(head).chain(Shared(&mut h));
        let reader: Box<dyn Read + '_> = match comp {
            Compression::None => Box::new(stream),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(stream)),
            Compression::Zstd => match ruzstd::decoding::StreamingDecoder::new(stream) {
                Ok(d) => Box::new(d),
                Err(e) => {
                    return Err(InputError::Io {
                        name: name.into(),
                        source: io::Error::other(e.to_string()),
                    });
                }
            },
        };
        match format {
            Format::Pcap | Format::Pcapng => read_packets(engine, name, reader, &mut warnings),
            Format::ZeekTsv | Format::ZeekJson => {
                crate::zeek::read(engine, name, reader, log_hint, &mut warnings);
                Ok(())
            }
            Format::Eve => {
                crate::eve::read(engine, name, reader, &mut warnings);
                Ok(())
            }
        }
    };
    let bytes = h.bytes;
    let sha = h.finish();
    if let Some(i) = engine.cap.inputs.get_mut(input as usize) {
        i.sha256 = sha;
        i.bytes = bytes;
    }
    result.map(|_| warnings)
}

fn read_packets<R: Read>(
    engine: &mut Engine<'_>,
    name: &str,
    r: R,
    warnings: &mut Vec<String>,
) -> Result<(), InputError> {
    let mut pr = PacketReader::new(Source::new(r)).map_err(|e| InputError::Capture {
        name: name.into(),
        source: e,
    })?;
    let mut fatal = None;
    loop {
        match pr.next_packet() {
            Ok(Some(p)) => engine.packet(&p),
            Ok(None) => break,
            Err(e) => {
                fatal = Some(e);
                break;
            }
        }
    }
    let st = pr.stats.clone();
    let c = &mut engine.cap.counters;
    c.truncated_packets += st.truncated_packets;
    c.pcapng_drops += st.isb_drops;
    c.dsb_blocks += st.dsb_blocks;
    if st.dsb_blocks > 0 {
        engine.cap.secrets_present = true;
    }
    for (_, lt) in &st.linktypes {
        *c.linktypes
            .entry(crate::link::linktype_name(*lt))
            .or_insert(0) += 1;
    }
    if let Some((off, n)) = st.cut_tail {
        warnings.push(format!(
            "{name}: the capture ends inside a record at offset {off} ({n} bytes cut off, as when the capturing tool is killed); the packets before it were read"
        ));
    }
    if let Some(e) = fatal {
        if st.packets == 0 {
            return Err(InputError::Capture {
                name: name.into(),
                source: e,
            });
        }
        warnings.push(format!(
            "{name}: {e}; the {} packets before it were read",
            st.packets
        ));
    }
    Ok(())
}
