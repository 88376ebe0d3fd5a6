//! The PostgreSQL run: every other test of this binary again, each server on
//! a new PostgreSQL schema, so that `cargo test` alone covers both backends.

use account_api::test_support::run_this_binary_on_postgresql;

#[test]
fn the_contract_holds_on_postgresql() {
    // Without TEST_POSTGRES_URL this says loudly that nothing ran (and fails
    // when CI is set); in the PostgreSQL run itself it is skipped.
    if let Some(run) = run_this_binary_on_postgresql("postgres::the_contract_holds_on_postgresql") {
        assert!(
            run.passed >= 4,
            "only {} tests ran on PostgreSQL",
            run.passed
        );
    }
}
