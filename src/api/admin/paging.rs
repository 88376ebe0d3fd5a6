//! What every admin list shares: the `limit` of a page and the refusal of a
//! `cursor` the list did not hand out.

use super::problem::AdminError;

/// The page size when `limit` is not given.
const DEFAULT_LIMIT: u32 = 50;
/// The largest page.
const MAX_LIMIT: u32 = 500;

/// The page size `limit` asks for, 1 to 500 (50 when not given).
pub fn page_limit(limit: Option<u32>) -> Result<u64, AdminError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AdminError::bad_field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT} (got {limit})"),
        ));
    }
    Ok(limit.into())
}

/// The answer to a `cursor` that is not a `next_cursor` of this list.
pub fn bad_cursor() -> AdminError {
    AdminError::bad_field(
        "cursor",
        "is not a next_cursor of this list (pass it back unchanged, with the same filters)",
    )
}
