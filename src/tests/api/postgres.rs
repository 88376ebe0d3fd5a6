//! The PostgreSQL run: every other test of this binary again, each on a new
//! PostgreSQL database, so that `cargo test` alone covers both backends.

use account_api::test_support::run_this_binary_on_postgresql;

#[test]
fn the_whole_suite_passes_on_postgresql() {
    // Without TEST_POSTGRES_URL this says loudly that nothing ran (and fails
    // when CI is set); in the PostgreSQL run itself it is skipped.
    if let Some(run) =
        run_this_binary_on_postgresql("postgres::the_whole_suite_passes_on_postgresql")
    {
        assert!(
            run.passed > 100,
            "only {} tests ran on PostgreSQL",
            run.passed
        );
    }
}
