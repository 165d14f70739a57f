//! What a capture let telltale see, and what it did not: the coverage lines shown before the
//! verdict, ending with one plain sentence about the connections no indicator check could cover.

use crate::capture::Parsed;

fn pct(n: u64, d: u64) -> u64 {
    (n * 100 + d / 2).checked_div(d).unwrap_or(0)
}

fn ts(n: Option<i64>) -> String {
    n.and_then(|n| jiff::Timestamp::from_nanosecond(n as i128).ok())
        .map(telltale_core::time::format)
        .unwrap_or_else(|| "unknown".into())
}

/// The coverage statement, one fact per line.
pub fn lines(p: &Parsed) -> Vec<String> {
    let c = &p.capture.counters;
    let mut v = Vec::new();
    for i in &p.capture.inputs {
        v.push(format!(
            "input {} ({}, {} bytes{})",
            i.name,
            i.format,
            i.bytes,
            i.sha256
                .as_deref()
                .map(|h| format!(", SHA-256 {h}"))
                .unwrap_or_default()
        ));
    }
    if c.packets > 0 {
        v.push(format!(
            "{} packets, {} bytes, from {} to {}",
            c.packets,
            c.bytes,
            ts(c.first_ns),
            ts(c.last_ns)
        ));
        let lt: Vec<String> = c.linktypes.keys().cloned().collect();
        v.push(format!("link types: {}", lt.join(", ")));
    }
    if c.log_lines > 0 {
        v.push(format!(
            "{} log lines read ({} unreadable); logs carry no packets, so frames are log line numbers",
            c.log_lines, c.log_bad_lines
        ));
    }
    let mut lost = |n: u64, what: &str| {
        if n > 0 {
            v.push(format!("{n} {what}"));
        }
    };
    lost(
        c.truncated_packets,
        "packets truncated by the capture's snap length",
    );
    lost(
        c.protected_80211,
        "protected (encrypted) 802.11 frames skipped",
    );
    lost(
        c.unsupported_link,
        "frames of an unsupported link type skipped",
    );
    lost(
        c.ip_fragments_skipped,
        "IP fragments (after the first) not reassembled",
    );
    lost(
        c.tunnels,
        "tunnelled packets (GRE, IP-in-IP, ESP …) not decapsulated",
    );
    lost(
        c.reassembly_giveups,
        "TCP reassembly give-ups (stream or memory bounds)",
    );
    lost(
        c.overlap_inconsistencies,
        "TCP retransmissions carrying different bytes for the same range (an evasion signal)",
    );
    lost(
        c.flows_evicted_full,
        "flows evicted early because the flow table was full",
    );
    lost(
        c.pcapng_drops,
        "packets dropped by the capturing interface (pcapng statistics)",
    );
    lost(
        c.records_not_kept,
        "records not kept past the memory bounds (they matched no indicator)",
    );
    lost(c.dns_errors, "malformed DNS messages");
    lost(
        c.rule_bytes_dropped,
        "bytes not given to the Snort-subset rules (memory bound)",
    );
    if c.dsb_blocks > 0 || p.capture.secrets_present {
        v.push("decryption secrets are present (pcapng DSB): TLS keys were not used, decryption is not supported yet".into());
    }
    let conns = c.flows_considered;
    v.push(format!(
        "{} TCP and {} UDP flows; {} % of {} connections had a visible server name (DNS, SNI, QUIC or Host)",
        c.tcp_flows,
        c.udp_flows,
        pct(c.flows_named, conns),
        conns
    ));
    v.push(format!(
        "DNS queries: {} over UDP, {} over TCP, {} mDNS, {} LLMNR",
        c.dns_udp, c.dns_tcp, c.dns_mdns, c.dns_llmnr
    ));
    if c.dot_flows + c.doh_flows + c.doq_flows + c.private_relay_flows > 0 {
        v.push(format!(
            "encrypted DNS hides names: {} DoT, {} DoH, {} DoQ connections to known resolvers; {} iCloud Private Relay connections",
            c.dot_flows, c.doh_flows, c.doq_flows, c.private_relay_flows
        ));
    }
    v.push(format!(
        "{} TLS/QUIC ClientHellos: {} without SNI, {} with ECH (real name hidden), {} with a post-quantum key share",
        c.hellos, c.hellos_no_sni, c.hellos_ech, c.hellos_post_quantum
    ));
    v.push(format!(
        "{} TLS ≤ 1.2 certificate chains seen; {} TLS 1.3 sessions (certificates encrypted, not checkable)",
        c.tls12_chains, c.tls13_sessions
    ));
    if c.quic_decrypted + c.quic_failed + c.quic_unknown_version > 0 {
        v.push(format!(
            "QUIC: {} connections' Initials decrypted, {} failed, {} of unknown versions",
            c.quic_decrypted, c.quic_failed, c.quic_unknown_version
        ));
    }
    if c.http_requests > 0 {
        v.push(format!("{} plain HTTP requests", c.http_requests));
    }
    v.push(sentence(p));
    v
}

/// The one plain sentence.
pub fn sentence(p: &Parsed) -> String {
    let c = &p.capture.counters;
    let conns = c.flows_considered;
    let unnamed = conns.saturating_sub(c.flows_named);
    if conns == 0 {
        return "no connection was seen: indicator checks had nothing to cover beyond DNS".into();
    }
    if unnamed == 0 {
        return "a server name (DNS, SNI, QUIC or Host) was visible for every connection: indicator checks covered them all".into();
    }
    let mut why = Vec::new();
    if c.dot_flows + c.doh_flows + c.doq_flows > 0 {
        why.push("encrypted DNS");
    }
    if c.private_relay_flows > 0 {
        why.push("Private Relay");
    }
    if c.hellos_no_sni > 0 {
        why.push("no SNI");
    }
    if c.hellos_ech > 0 {
        why.push("ECH");
    }
    let why = if why.is_empty() {
        String::new()
    } else {
        format!(" ({})", why.join(" / "))
    };
    format!(
        "for {} % of connections no server name was visible{why}; indicator checks could not cover them beyond their addresses",
        pct(unnamed, conns)
    )
}
