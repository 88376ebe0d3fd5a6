//! The table of `serve`'s settings in `src/OPERATIONS.md`, generated from
//! the command line itself (flag, environment variable, configuration-file
//! key, default, meaning) so that the page cannot fall behind `--help`: a
//! test compares the page with [`markdown`].

use clap::CommandFactory;
use serde_json::Value;

use super::command_line::{Cli, path_of};
use super::sections::Settings;

/// Where the generated table starts and ends in `src/OPERATIONS.md`.
const BEGIN: &str =
    "<!-- settings table: generated from the command line (src/settings/flag_table.rs) -->";
/// The line after the table.
const END: &str = "<!-- end of the settings table -->";

/// The settings of `serve` as a Markdown table, in `--help`'s order.
fn markdown() -> String {
    let command = Cli::command();
    let serve = command
        .find_subcommand("serve")
        .expect("the command line has `serve`");
    let tree = serde_json::to_value(Settings::default()).expect("settings serialize");
    let mut rows = vec![
        "| flag | environment | file key | default | meaning |".to_owned(),
        "|---|---|---|---|---|".to_owned(),
    ];
    let globals = command.get_arguments().filter(|arg| arg.is_global_set());
    for arg in serve.get_arguments().chain(globals) {
        let Some(long) = arg.get_long() else { continue };
        if arg.is_hide_set() || matches!(long, "help" | "version") {
            continue;
        }
        let env = arg
            .get_env()
            .map(|env| format!("`{}`", env.to_string_lossy()))
            .unwrap_or_default();
        let key = file_key(&tree, arg.get_id().as_str());
        let default = arg
            .get_default_values()
            .iter()
            .map(|value| value.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(",");
        let default = if default.is_empty() {
            String::new()
        } else {
            format!("`{default}`")
        };
        let help = arg
            .get_help()
            .map(|help| help.to_string())
            .unwrap_or_default()
            .replace('|', "\\|")
            .replace('\n', " ");
        rows.push(format!(
            "| `--{long}` | {env} | {key} | {default} | {help} |"
        ));
    }
    rows.join("\n") + "\n"
}

/// `section.key` (or `key` at the top level) of a setting in the file.
fn file_key(tree: &Value, id: &str) -> String {
    path_of(tree, id).map_or_else(String::new, |path| format!("`{}`", path.join(".")))
}

/// `page` with its table between [`BEGIN`] and [`END`] replaced by `table`,
/// or `None` when the markers are missing.
fn replace_table(page: &str, table: &str) -> Option<String> {
    let start = page.find(BEGIN)? + BEGIN.len();
    let end = start + page[start..].find(END)?;
    Some(format!("{}\n{}{}", &page[..start], table, &page[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = include_str!("../OPERATIONS.md");

    #[test]
    fn the_operators_page_shows_every_setting_as_the_command_line_declares_it() {
        let current = replace_table(PAGE, &markdown()).expect("src/OPERATIONS.md has the markers");
        if current != PAGE && std::env::var_os("UPDATE_SETTINGS_TABLE").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/OPERATIONS.md");
            std::fs::write(path, &current).expect("src/OPERATIONS.md is writable");
            return;
        }
        assert!(
            current == PAGE,
            "src/OPERATIONS.md's settings table is not the command line's; regenerate it with\n  \
             UPDATE_SETTINGS_TABLE=1 cargo test -p account-api --lib flag_table\n\
             The table should be:\n{}",
            markdown()
        );
    }

    #[test]
    fn the_table_has_a_row_per_flag_with_its_environment_key_and_default() {
        let table = markdown();
        let row = |flag: &str| {
            table
                .lines()
                .find(|line| line.starts_with(&format!("| `--{flag}` |")))
                .unwrap_or_else(|| panic!("no row for --{flag}"))
                .to_owned()
        };
        let listen = row("listen");
        assert!(listen.contains("`ACCOUNT_API_LISTEN`"), "{listen}");
        assert!(listen.contains("| `listen` |"), "{listen}");
        assert!(listen.contains("`127.0.0.1:5000`"), "{listen}");
        let url = row("database-url");
        assert!(
            url.contains("`DATABASE_URL`") && url.contains("`database.database_url`"),
            "{url}"
        );
        assert!(row("login-max-failures").contains("`limits.login_max_failures`"));
        assert!(row("config").contains("`ACCOUNT_API_CONFIG`"));
        assert!(!table.contains("--help"));
    }

    #[test]
    fn a_page_without_its_markers_is_refused() {
        assert_eq!(replace_table("no table here", "| x |\n"), None);
        let page = format!("before\n{BEGIN}\nold\n{END}\nafter\n");
        assert_eq!(
            replace_table(&page, "| new |\n").unwrap(),
            format!("before\n{BEGIN}\n| new |\n{END}\nafter\n")
        );
    }
}
