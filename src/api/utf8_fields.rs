//! Request text read strictly as UTF-8: a field whose bytes are not text is
//! found and named, never read with replacement characters (which would make
//! `%FF%FF%FF%FF%FF%FF` and `%FE%80%C0%FD%F8%F0` the same password).

use std::collections::BTreeSet;

/// A name and its value, each the text its bytes spell or `Err` with the
/// bytes when they are not UTF-8.
pub type Pair = (Result<String, Vec<u8>>, Result<String, Vec<u8>>);

/// The `(name, value)` pairs of a URL-encoded form or query string, in
/// order: `+` is a space and `%HH` a byte, and each side is the text those
/// bytes spell, or `Err` with the bytes when they are not UTF-8 (raw bytes
/// that are not UTF-8 are refused the same way as encoded ones).
pub fn form_pairs(encoded: &[u8]) -> impl Iterator<Item = Pair> + '_ {
    encoded
        .split(|byte| *byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|byte| *byte == b'=') {
                Some(equals) => (&pair[..equals], &pair[equals + 1..]),
                None => (pair, &[][..]),
            };
            (decode(name), decode(value))
        })
}

/// One side of a pair: `+` as a space, then percent-decoded, then UTF-8.
fn decode(encoded: &[u8]) -> Result<String, Vec<u8>> {
    let spaced: Vec<u8> = encoded
        .iter()
        .map(|byte| if *byte == b'+' { b' ' } else { *byte })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|err| err.into_bytes())
}

/// A JSON body whose strings that are not text were replaced: what is left
/// to parse, and the top-level fields that held them.
#[derive(Debug, PartialEq, Eq)]
pub struct RepairedJson {
    /// The body with each such string replaced by `null` (a key by a name
    /// no request reads), so that the rest parses.
    pub json: Vec<u8>,
    /// The top-level fields whose value held such a string.
    pub not_utf8: BTreeSet<String>,
}

/// For a body that failed to parse as JSON: its strings that are not UTF-8
/// text — raw bytes that are not UTF-8, or an escaped surrogate without its
/// pair (`"\udc80"`) — replaced, with the top-level fields that held them;
/// `None` when every string is text (the body is wrong some other way).
pub fn repair_json(body: &[u8]) -> Option<RepairedJson> {
    let mut json = Vec::with_capacity(body.len());
    let mut not_utf8 = BTreeSet::new();
    let mut repaired = false;
    let mut depth = 0usize;
    // Whether the next string at depth 1 is a key, and the last such key.
    let mut key_next = false;
    let mut key: Option<String> = None;
    let mut at = 0;
    while at < body.len() {
        let byte = body[at];
        if byte != b'"' {
            match byte {
                b'{' | b'[' => {
                    depth += 1;
                    if depth == 1 {
                        key_next = byte == b'{';
                    }
                }
                b'}' | b']' => depth = depth.saturating_sub(1),
                b':' if depth == 1 => key_next = false,
                b',' if depth == 1 => key_next = true,
                _ => {}
            }
            json.push(byte);
            at += 1;
            continue;
        }
        let end = string_end(body, at);
        let literal = &body[at..end];
        let is_key = depth == 1 && key_next;
        if is_text(literal) {
            if is_key {
                key = serde_json::from_slice::<String>(literal).ok();
            }
            json.extend_from_slice(literal);
        } else {
            repaired = true;
            if is_key {
                // Not a name any request reads: an unknown field, ignored.
                key = None;
                json.extend_from_slice(b"\"\\u0000not utf-8\"");
            } else {
                if depth >= 1
                    && let Some(key) = &key
                {
                    not_utf8.insert(key.clone());
                }
                json.extend_from_slice(b"null");
            }
        }
        at = end;
    }
    repaired.then_some(RepairedJson { json, not_utf8 })
}

/// The end of the JSON string literal starting at `body[start]` (a quote):
/// just after its closing quote, or the end of the body.
fn string_end(body: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while at < body.len() {
        match body[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    body.len()
}

/// Whether the string literal `literal` (quotes included) is UTF-8 and its
/// `\u` escapes pair every surrogate.
fn is_text(literal: &[u8]) -> bool {
    if std::str::from_utf8(literal).is_err() {
        return false;
    }
    let escape = |at: usize| -> Option<u16> {
        let hex = literal.get(at + 2..at + 6)?;
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    let mut at = 0;
    while at < literal.len() {
        if literal[at] != b'\\' {
            at += 1;
            continue;
        }
        if literal.get(at + 1) != Some(&b'u') {
            at += 2;
            continue;
        }
        match escape(at) {
            Some(0xD800..=0xDBFF) => {
                let paired = literal.get(at + 6) == Some(&b'\\')
                    && literal.get(at + 7) == Some(&b'u')
                    && matches!(escape(at + 6), Some(0xDC00..=0xDFFF));
                if !paired {
                    return false;
                }
                at += 12;
            }
            Some(0xDC00..=0xDFFF) => return false,
            // Other escapes, good or malformed, are for the JSON parser to judge.
            _ => at += 2,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(encoded: &str) -> Vec<Pair> {
        form_pairs(encoded.as_bytes()).collect()
    }

    #[test]
    fn forms_decode_plus_and_percent_and_keep_valid_text() {
        assert_eq!(
            pairs("name=%E4%BA%8E+%E8%BF%9E%E6%9E%97&flag&=x&&a=1%2B1"),
            vec![
                (Ok("name".to_owned()), Ok("于 连林".to_owned())),
                (Ok("flag".to_owned()), Ok(String::new())),
                (Ok(String::new()), Ok("x".to_owned())),
                (Ok("a".to_owned()), Ok("1+1".to_owned())),
            ]
        );
        // A `%` without two hex digits is kept as it is, as browsers do.
        assert_eq!(pairs("a=100%")[0].1, Ok("100%".to_owned()));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_not_replaced() {
        let first = pairs("password=%FF%FF%FF%FF%FF%FF");
        let second = pairs("password=%FE%80%C0%FD%F8%F0");
        assert_eq!(first[0].1, Err(vec![0xFF; 6]));
        assert_eq!(second[0].1, Err(vec![0xFE, 0x80, 0xC0, 0xFD, 0xF8, 0xF0]));
        assert_ne!(first, second);
        // Overlong and surrogate encodings are not UTF-8 either.
        assert!(pairs("x=%C0%AF")[0].1.is_err());
        assert!(pairs("x=%ED%A0%80")[0].1.is_err());
        // Raw bytes, not percent-encoded.
        let raw: Vec<_> = form_pairs(b"name=\xE4\xBA&phone=1").collect();
        assert_eq!(raw[0].1, Err(vec![0xE4, 0xBA]));
        assert_eq!(raw[1].1, Ok("1".to_owned()));
        assert!(pairs("%FF=1")[0].0.is_err());
    }

    #[test]
    fn json_strings_that_are_not_text_are_named_by_their_field() {
        let body = b"{\"phone\":\"13126939916\",\"password\":\"\xFF\xFF\",\"name\":\"\\udc80\",\
                     \"device_identifier\":{\"deep\":[\"\\ud800x\"]},\"ok\":\"\\ud83d\\ude00\"}";
        let repaired = repair_json(body).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&repaired.json).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({
                "phone": "13126939916",
                "password": null,
                "name": null,
                "device_identifier": {"deep": [null]},
                "ok": "😀",
            })
        );
        assert_eq!(
            repaired.not_utf8.into_iter().collect::<Vec<_>>(),
            ["device_identifier", "name", "password"]
        );
    }

    #[test]
    fn a_key_that_is_not_text_becomes_an_unknown_field() {
        let repaired = repair_json(b"{\"\xFF\":\"x\",\"phone\":\"1\"}").unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&repaired.json).unwrap();
        assert_eq!(parsed["phone"], "1");
        assert!(repaired.not_utf8.is_empty());
    }

    #[test]
    fn bodies_whose_strings_are_text_are_left_to_the_parser() {
        assert_eq!(repair_json(b"{not json"), None);
        assert_eq!(repair_json(b"{\"a\":\"\\u00e9\\\"\\\\\"}x"), None);
        assert_eq!(repair_json("{\"name\":\"于连林\"".as_bytes()), None);
    }
}
