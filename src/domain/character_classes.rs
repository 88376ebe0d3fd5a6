//! Character classes shared by the domain types' checks and their OpenAPI
//! `pattern`s, so the two say the same thing.

/// Control characters (Unicode category Cc, what [`char::is_control`] tests),
/// as the inside of a character class of an OpenAPI `pattern`. Stored text
/// refuses them: PostgreSQL cannot store U+0000 in text at all, and a tab or
/// line break inside a display name or device identifier is never meant.
pub(super) const CONTROL_CLASS: &str = r"\u0000-\u001f\u007f-\u009f";

/// White space as [`str::trim`] removes it (Unicode White_Space), as the
/// inside of a character class of an OpenAPI `pattern`.
pub(super) const WHITE_SPACE_CLASS: &str =
    r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
