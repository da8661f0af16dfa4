//! Shared code of the example programs.
//!
//! [`json`] turns decoded messages into one-line JSON objects (written by
//! hand, without a JSON crate).

pub mod bgpconf;
pub mod ctl;
pub mod driver;
pub mod fabric;
pub mod json;
pub mod router;
pub mod routes;
pub mod sim;

/// Parses hex text: whitespace and `:` separators are ignored, and an
/// optional `0x` prefix is allowed. `None` if a character is not a hex digit
/// or the number of digits is odd.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let digits: Vec<u8> = t
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|p| {
            let hi = char::from(p[0]).to_digit(16)?;
            let lo = char::from(p[1]).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

/// Lower-case hex of `bytes`, no separators.
pub fn to_hex(bytes: &[u8]) -> String {
    use core::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex() {
        assert_eq!(parse_hex("0x0a 0B:ff\t"), Some(vec![10, 11, 255]));
        assert_eq!(parse_hex(""), Some(vec![]));
        assert_eq!(parse_hex("abc"), None);
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(to_hex(&[0, 0xab]), "00ab");
    }
}
