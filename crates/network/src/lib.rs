//! telltale-network: network captures (pcap, pcapng, Zeek and Suricata logs) checked against the
//! indicators.

pub mod cert;
pub mod community_id;
pub mod dns;
pub mod engine;
pub mod http;
pub mod link;
pub mod pcap;
pub mod quic;
pub mod records;
pub mod tls;
pub mod eve;
pub mod input;
pub mod zeek;
pub mod allow;
pub mod capture;
pub mod coverage;
pub mod kind;
pub mod modules;

pub use kind::NetworkCaptureKind;
