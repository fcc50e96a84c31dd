//! Operators' second factor: RFC 6238 time-based codes (6 digits, 30-second steps, SHA-1, as
//! every authenticator app expects). `totp-rs` computes the codes; this module decides which
//! steps count: the current one and one on either side (clock drift), and only a step later than
//! the last one accepted, so a code is good once and an old one never.

use crate::AppError;
use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seconds per step.
const STEP: u64 = 30;
/// Secret bytes: 160 bits, RFC 4226's recommendation.
const SECRET_LEN: usize = 20;

/// A fresh random secret, as hex (the form it is sealed in).
pub fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn totp(secret_hex: &str, account: &str) -> Result<Totp, AppError> {
    let bytes = (0..secret_hex.len())
        .step_by(2)
        .map(|i| {
            secret_hex
                .get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| super::internal("an operator's TOTP secret is not hex"))?;
    let account: String = account.chars().filter(|c| *c != ':').collect();
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP)
        .with_secret(Secret::from(bytes))
        .with_issuer(Some("Coachroom"))
        .with_account_name(account)
        .build()
        .map_err(super::internal)
}

/// What an authenticator app needs: the base32 secret to type in, and the `otpauth://` link a
/// QR code would carry.
pub fn enrolment(secret_hex: &str, account: &str) -> Result<(String, String), AppError> {
    let totp = totp(secret_hex, account)?;
    let url = totp.to_url().map_err(super::internal)?;
    Ok((totp.secret().to_base32(), url))
}

/// The step `code` belongs to, if it is right for a step within one of `now_secs`.
pub fn matching_step(secret_hex: &str, code: &str, now_secs: u64) -> Result<Option<u64>, AppError> {
    let totp = totp(secret_hex, "")?;
    Ok(totp.check(code, now_secs))
}

/// The code of the step holding `at_secs` (tests and the seed use it; the server never
/// needs to make one).
pub fn code_at(secret_hex: &str, at_secs: u64) -> Result<String, AppError> {
    Ok(totp(secret_hex, "")?.generate(at_secs).to_string())
}

/// The code of the step holding `at_secs` for a secret in base32, as an authenticator app holds
/// it (the tests play the operator's phone with it).
pub fn code_from_base32(base32: &str, at_secs: u64) -> Result<String, AppError> {
    let bytes =
        Secret::try_from_base32(base32).map_err(|_| AppError::invalid("Secret must be base32."))?;
    let hex: String = bytes
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    code_at(&hex, at_secs)
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vector() {
        // RFC 6238 appendix B: the ASCII secret "12345678901234567890", T = 59 s gives
        // 94287082 in 8 digits, so 287082 in 6.
        let secret: String = b"12345678901234567890"
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
    }

    #[test]
    fn a_code_matches_its_own_step_and_its_neighbours_only() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(
            matching_step(&secret, &code, now).unwrap(),
            Some(now / STEP)
        );
        assert_eq!(
            matching_step(&secret, &code, now + STEP).unwrap(),
            Some(now / STEP)
        );
        assert_eq!(matching_step(&secret, &code, now + 2 * STEP).unwrap(), None);
        assert_eq!(matching_step(&secret, "12345", now).unwrap(), None);
        assert_eq!(matching_step(&secret, "abcdef", now).unwrap(), None);
    }

    #[test]
    fn enrolment_gives_an_otpauth_link() {
        let secret = new_secret();
        let (base32, url) = enrolment(&secret, "ops@example.com").unwrap();
        assert_eq!(base32.len(), 32);
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains(&base32), "{url}");
        assert!(url.contains("issuer=Coachroom"), "{url}");
    }
}
