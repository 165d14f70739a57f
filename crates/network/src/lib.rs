//! telltale-network: network captures (pcap, pcapng, Zeek and Suricata logs) checked against the
//! indicators.

pub mod allow;
pub mod capture;
pub mod cert;
pub mod community_id;
pub mod coverage;
pub mod dns;
pub mod engine;
pub mod eve;
pub mod http;
pub mod input;
pub mod kind;
pub mod link;
pub mod log_lines;
pub mod modules;
pub mod pcap;
pub mod quic;
pub mod records;
pub mod tls;
pub mod zeek;

pub use kind::NetworkCaptureKind;
pub mod snort;
