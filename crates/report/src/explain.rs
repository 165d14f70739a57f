//! Plain-language explanations of what each module reads and what an alert from it means, for the report.

/// `(module, what it reads, what an alert means)`.
const EXPLANATIONS: &[(&str, &str, &str)] = &[
    (
        "network_dns",
        "DNS lookups in a network capture or in Zeek/Suricata logs: names asked for and the answers.",
        "The phone looked up a spyware domain, or an answer pointed to one (HIGH); CRITICAL when a connection to it followed.",
    ),
    (
        "network_tls",
        "The server names (SNI) phones send when opening TLS and QUIC connections, from a capture or logs.",
        "The phone opened an encrypted connection to a spyware server: CRITICAL when the server answered.",
    ),
    (
        "network_http",
        "Plain (unencrypted) HTTP requests in a capture or logs: hosts and addresses requested.",
        "A request went to spyware infrastructure; lower levels flag unencrypted or unusual-port web traffic.",
    ),
    (
        "network_certs",
        "Certificates servers sent in older (TLS 1.2) handshakes: their fingerprints and names.",
        "A server presented a certificate known from spyware infrastructure, or a self-signed one (MEDIUM).",
    ),
    (
        "network_flows",
        "Every connection of a capture or logs, by destination address and port.",
        "The phone connected to a spyware server's address; lower levels list unusual destinations.",
    ),
    (
        "safari_history",
        "Safari's browsing history.",
        "A visited web address belongs to spyware infrastructure: the phone opened an infection or exploit link.",
    ),
    (
        "safari_browser_state",
        "The tabs and session state Safari keeps.",
        "A page of spyware infrastructure was open in Safari.",
    ),
    (
        "webkit_resource_load_statistics",
        "WebKit's record of web sites that loaded resources (browsers and in-app web views).",
        "Some app or browser contacted a spyware domain, often as a step of an exploit chain.",
    ),
    (
        "webkit_session_resource_log",
        "WebKit's log of redirects between sites.",
        "A redirect went through a spyware domain: a typical trace of a one-click infection link.",
    ),
    (
        "chrome_history",
        "Chrome's browsing history.",
        "A visited web address belongs to spyware infrastructure.",
    ),
    (
        "firefox_history",
        "Firefox's browsing history.",
        "A visited web address belongs to spyware infrastructure.",
    ),
    (
        "sms",
        "Text messages (SMS / iMessage).",
        "A message contained a link to spyware infrastructure, or came from a known attacker address: infection attempts are often sent this way.",
    ),
    (
        "sms_attachments",
        "Attachments of text messages.",
        "An attachment has a name, path or property seen in known attacks (for example zero-click exploits).",
    ),
    (
        "whatsapp",
        "WhatsApp messages.",
        "A message contained a link to spyware infrastructure.",
    ),
    (
        "calls",
        "The call history.",
        "A call involves an address or number listed as an indicator.",
    ),
    (
        "contacts",
        "The address book.",
        "A contact holds an address listed as an indicator.",
    ),
    (
        "datausage",
        "The per-process network data usage database.",
        "A process with the name of a known spyware component used the network.",
    ),
    (
        "netusage",
        "The per-process network usage database.",
        "A process with the name of a known spyware component used the network.",
    ),
    (
        "os_analytics_ad_daily",
        "Daily network usage statistics of processes.",
        "A process with the name of a known spyware component ran and used the network.",
    ),
    (
        "shutdownlog",
        "The log of processes still running when the phone was shut down.",
        "A spyware process, or a process run from an unusual location, was running.",
    ),
    (
        "id_status_cache",
        "The cache of iMessage/FaceTime lookups.",
        "The phone looked up an account used by attackers to deliver exploits.",
    ),
    (
        "interaction_c",
        "The record of interactions with contacts and apps.",
        "An interaction involved an indicator (address, link or app).",
    ),
    (
        "locationd_clients",
        "Apps and processes that asked for the location.",
        "A spyware process asked for the phone's location.",
    ),
    (
        "tcc",
        "The privacy permissions granted to apps (camera, microphone …).",
        "An app or process linked to spyware held a privacy permission.",
    ),
    (
        "configuration_profiles",
        "Installed configuration profiles.",
        "A profile matches one used by spyware or stalkerware, which may control the phone's settings.",
    ),
    (
        "profile_events",
        "The history of configuration profile installations.",
        "A profile linked to spyware or stalkerware was installed.",
    ),
    (
        "manifest",
        "The list of files in the backup.",
        "A file or app domain of known spyware is present, or a file was touched by a spyware process.",
    ),
    (
        "applications",
        "The installed apps.",
        "An installed app is known spyware or stalkerware.",
    ),
    (
        "aqf_packages",
        "The installed Android apps (package list).",
        "An installed app is known spyware or stalkerware, or was installed in an unusual way.",
    ),
    (
        "aqf_processes",
        "The processes running when the acquisition was made.",
        "A running process has the name of a known spyware component.",
    ),
    (
        "aqf_files",
        "The list of files on the phone's storage.",
        "A file has the name, path or hash of a known spyware component.",
    ),
    (
        "aqf_get_prop",
        "Android system properties.",
        "A system property set by known spyware is present, or the security patch is very old.",
    ),
    (
        "aqf_settings",
        "Android system settings.",
        "A security protection (app verification, package checks …) was turned off.",
    ),
    (
        "root_binaries",
        "Files that give administrator (root) access.",
        "The phone is rooted: any app could take full control of it. This is not spyware by itself.",
    ),
    (
        "mounts",
        "Mounted file systems.",
        "The system partition was writable, which suggests the phone was modified (rooted).",
    ),
    (
        "bugreport_mounts",
        "Mounted file systems (bugreport).",
        "The system partition was writable, which suggests the phone was modified (rooted).",
    ),
    (
        "shortcuts",
        "Shortcuts automations.",
        "An automation refers to an indicator.",
    ),
    (
        "calendar",
        "Calendar events.",
        "An event holds a link or address listed as an indicator (calendar invitations can carry spam or phishing).",
    ),
];

/// What `module` reads and what an alert from it means, when known.
pub fn explain(module: &str) -> Option<(&'static str, &'static str)> {
    EXPLANATIONS
        .iter()
        .find(|(m, _, _)| *m == module)
        .map(|(_, reads, means)| (*reads, *means))
}

/// The explanation used for modules without a specific one.
pub const GENERIC: (&str, &str) = (
    "An artifact of the acquisition.",
    "A record of this artifact matched an indicator, or a heuristic found something unusual; the alert message says which.",
);
