//! A server certificate's facts: DER hashes, subject, issuer, SAN DNS names, validity.

use sha1::Digest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub sha1: String,
    pub sha256: String,
    pub subject: String,
    pub issuer: String,
    pub common_name: Option<String>,
    pub san: Vec<String>,
    pub not_before: Option<i64>,
    pub not_after: Option<i64>,
    /// Issuer equals subject.
    pub self_signed: bool,
    /// The DER could not be parsed (hashes are still given).
    pub unparsed: bool,
}

pub fn info(der: &[u8]) -> CertInfo {
    let sha1 = hex::encode(sha1::Sha1::digest(der));
    let sha256 = hex::encode(sha2::Sha256::digest(der));
    let mut ci = CertInfo {
        sha1,
        sha256,
        subject: String::new(),
        issuer: String::new(),
        common_name: None,
        san: Vec::new(),
        not_before: None,
        not_after: None,
        self_signed: false,
        unparsed: true,
    };
    if let Ok((_, c)) = x509_parser::parse_x509_certificate(der) {
        ci.unparsed = false;
        ci.subject = c.subject().to_string();
        ci.issuer = c.issuer().to_string();
        ci.self_signed = c.subject().as_raw() == c.issuer().as_raw();
        ci.common_name = c
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(|s| s.to_ascii_lowercase());
        if let Ok(Some(san)) = c.subject_alternative_name() {
            for g in &san.value.general_names {
                if let x509_parser::extensions::GeneralName::DNSName(n) = g
                    && ci.san.len() < 256
                {
                    ci.san.push(n.to_ascii_lowercase());
                }
            }
        }
        ci.not_before = Some(c.validity().not_before.timestamp());
        ci.not_after = Some(c.validity().not_after.timestamp());
    }
    ci
}
