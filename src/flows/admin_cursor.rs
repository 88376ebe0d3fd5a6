//! The opaque cursors of the admin lists: the key of a page's last item,
//! hex-encoded so that a client passes it back unchanged. Each list writes
//! its own key (`e12`, `a0:7`, `p131…`) and reads it back with these.

/// A cursor that is not one this list handed out.
#[derive(Debug, PartialEq, Eq)]
pub struct BadCursor;

/// The cursor of `key`.
pub fn encode(key: &str) -> String {
    hex::encode(key)
}

/// The key the cursor `text` holds.
pub fn decode(text: &str) -> Result<String, BadCursor> {
    let bytes = hex::decode(text).map_err(|_| BadCursor)?;
    String::from_utf8(bytes).map_err(|_| BadCursor)
}

/// A row id written in a key: decimal digits only (no sign, no spaces).
pub fn decimal_id(text: &str) -> Result<i64, BadCursor> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadCursor);
    }
    text.parse().map_err(|_| BadCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_comes_back_from_its_cursor() {
        assert_eq!(decode(&encode("a0:17")), Ok("a0:17".to_owned()));
    }

    #[test]
    fn a_cursor_that_is_not_hex_or_not_text_is_refused() {
        for bad in ["", "zz", "abc", "ff"] {
            if bad.is_empty() {
                assert_eq!(decode(bad), Ok(String::new()));
            } else {
                assert_eq!(decode(bad), Err(BadCursor), "{bad}");
            }
        }
    }

    #[test]
    fn an_id_is_decimal_digits_that_fit() {
        assert_eq!(decimal_id("42"), Ok(42));
        for bad in ["", "-1", "+1", " 1", "1a", "99999999999999999999"] {
            assert_eq!(decimal_id(bad), Err(BadCursor), "{bad}");
        }
    }
}
