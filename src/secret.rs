//! Secrets: the shop's signature on a customer id, and tokens kept only as hashes.
//!
//! A shop proves a customer id is its own by signing it: `signature = hex(HMAC-SHA256(secret, customer_id))`,
//! with the secret the server was started with (`--customer-secret`). Nobody without the secret can claim another
//! customer's id. API keys and the admin token are kept as SHA-256 hashes and compared in constant time, so
//! neither a memory dump nor the time a comparison takes gives them away.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The shop's signature of a customer id, as lowercase hex.
pub fn sign_customer(secret: &str, customer: &str) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(customer.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Whether `signature` (hex, either case) is the shop's signature of `customer`; compared in constant time.
pub fn verify_customer(secret: &str, customer: &str, signature: &str) -> bool {
    let Some(given) = unhex(signature.trim()) else {
        return false;
    };
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(customer.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// How a setting says it holds a token's hash rather than the token.
pub const HASH_PREFIX: &str = "sha256:";

/// A token (API key, admin token) kept only as its SHA-256 hash.
#[derive(Clone)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn new(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    /// A token as a setting gives it: `sha256:` and 64 hex digits is the hash of the token (what a config file,
    /// environment or service unit should hold: `printf %s TOKEN | sha256sum`), anything else the token itself.
    pub fn from_setting(value: &str) -> Result<TokenHash, String> {
        let Some(hash) = value.strip_prefix(HASH_PREFIX) else {
            return Ok(TokenHash::new(value));
        };
        match unhex(hash.trim()).and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()) {
            Some(hash) => Ok(TokenHash(hash)),
            None => Err(format!(
                "`{HASH_PREFIX}…` takes the 64 hex digits of the token's SHA-256 hash \
                 (`printf %s TOKEN | sha256sum`); got {} characters",
                hash.trim().len()
            )),
        }
    }

    /// Whether `presented` is the token, in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.0.ct_eq(&hash).into()
    }
}

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(…)")
    }
}

/// Whether `presented` is any of `tokens` (every one compared, so the time taken does not say which).
pub fn any_matches(tokens: &[TokenHash], presented: &str) -> bool {
    tokens
        .iter()
        .fold(false, |found, token| found | token.matches(presented))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_signature_verifies_only_for_its_id_and_secret() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let known = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(sign_customer("Jefe", "what do ya want for nothing?"), known);
        let signature = sign_customer("shop-secret", "cust-42");
        assert!(verify_customer("shop-secret", "cust-42", &signature));
        assert!(verify_customer(
            "shop-secret",
            "cust-42",
            &signature.to_uppercase()
        ));
        assert!(!verify_customer("shop-secret", "cust-43", &signature));
        assert!(!verify_customer("other-secret", "cust-42", &signature));
        assert!(!verify_customer("shop-secret", "cust-42", "not hex"));
        assert!(!verify_customer("shop-secret", "cust-42", ""));
    }

    #[test]
    fn a_token_hash_matches_only_its_token() {
        let tokens = [TokenHash::new("key-1"), TokenHash::new("key-2")];
        assert!(any_matches(&tokens, "key-2"));
        assert!(!any_matches(&tokens, "key-3"));
        assert!(!any_matches(&[], "key-1"));
        assert_eq!(format!("{:?}", tokens[0]), "TokenHash(…)");
    }

    #[test]
    fn a_setting_gives_a_token_or_its_hash() {
        // sha256("admin-secret"), as `printf %s admin-secret | sha256sum` prints it
        let hash = hex(&Sha256::digest(b"admin-secret"));
        for setting in [
            "admin-secret".to_string(),
            format!("sha256:{hash}"),
            format!("sha256:{}", hash.to_uppercase()),
        ] {
            let token = TokenHash::from_setting(&setting).expect("valid");
            assert!(token.matches("admin-secret"), "{setting}");
            assert!(!token.matches(&setting[..8]), "{setting}");
            assert!(!token.matches(&hash), "the hash itself is no token");
        }
        for bad in [
            "sha256:",
            "sha256:abc",
            "sha256:zz",
            &format!("sha256:{hash}00"),
        ] {
            let error = TokenHash::from_setting(bad).expect_err(bad);
            assert!(error.contains("64 hex digits"), "{error}");
        }
    }
}
