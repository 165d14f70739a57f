//! From the backup password to the key that unwraps the keybag's class keys.
//!
//! iOS 10.2 and later: PBKDF2-HMAC-SHA256(password, DPSL, DPIC) gives 32 bytes, then
//! PBKDF2-HMAC-SHA1(those, SALT, ITER) gives the 32-byte key. Before (and iOS 10.0–10.1): the SHA-1 step
//! alone, on the password.

use sha1::Sha1;
use sha2::Sha256;

use super::keybag::Keybag;
use super::{CryptoError, Key32, wipe};

/// Bound on DPIC (Apple uses 10,000,000): a garbled keybag must not keep the CPU busy for hours.
pub const MAX_DP_ITERATIONS: u32 = 100_000_000;
/// Bound on ITER (Apple uses 10,000).
pub const MAX_ITERATIONS: u32 = 10_000_000;

/// Derives the passcode key from the password with the keybag's parameters.
pub fn derive_passcode_key(password: &[u8], keybag: &Keybag) -> Result<Key32, CryptoError> {
    let dp = match (&keybag.dp_salt, keybag.dp_iterations) {
        (Some(salt), Some(iter)) => Some((salt.as_slice(), iter)),
        _ => None,
    };
    derive(password, &keybag.salt, keybag.iterations, dp)
}

/// The derivation with explicit parameters (`dp` is the optional SHA-256 step's salt and iterations).
pub fn derive(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    dp: Option<(&[u8], u32)>,
) -> Result<Key32, CryptoError> {
    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(CryptoError::Keybag {
            offset: 0,
            message: format!("ITER {iterations} is outside 1..={MAX_ITERATIONS} (garbled keybag?)"),
        });
    }
    let mut out = [0u8; 32];
    match dp {
        Some((dp_salt, dp_iter)) => {
            if dp_iter == 0 || dp_iter > MAX_DP_ITERATIONS {
                return Err(CryptoError::Keybag {
                    offset: 0,
                    message: format!(
                        "DPIC {dp_iter} is outside 1..={MAX_DP_ITERATIONS} (garbled keybag?)"
                    ),
                });
            }
            let mut first = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(password, dp_salt, dp_iter, &mut first);
            pbkdf2::pbkdf2_hmac::<Sha1>(&first, salt, iterations, &mut out);
            wipe(&mut first);
        }
        None => pbkdf2::pbkdf2_hmac::<Sha1>(password, salt, iterations, &mut out),
    }
    let key = Key32::new(out);
    wipe(&mut out);
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6070_sha1_vector() {
        // RFC 6070: P="password", S="salt", c=2, dkLen=20 → ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957
        let k = derive(b"password", b"salt", 2, None).unwrap();
        assert_eq!(
            hex::encode(&k.as_bytes()[..20]),
            "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"
        );
    }

    #[test]
    fn double_step_is_sha256_then_sha1() {
        let mut first = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"pw", b"dpsalt", 3, &mut first);
        let expect = derive(&first, b"salt", 2, None).unwrap();
        assert_eq!(
            derive(b"pw", b"salt", 2, Some((b"dpsalt", 3))).unwrap(),
            expect
        );
        assert_ne!(derive(b"pw", b"salt", 2, None).unwrap(), expect);
    }

    #[test]
    fn absurd_iteration_counts_are_refused() {
        assert!(derive(b"pw", b"salt", 0, None).is_err());
        assert!(derive(b"pw", b"salt", MAX_ITERATIONS + 1, None).is_err());
        assert!(derive(b"pw", b"salt", 1, Some((b"s", u32::MAX))).is_err());
    }
}
