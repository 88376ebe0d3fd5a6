//! The CI recipes of `contract-tests/README.md` (the ```yaml blocks of its
//! "In CI" section, GitHub Actions and GitLab CI) call the binary as it parses: every
//! `contract-tests` command line in them is parsed with the binary's own
//! [`Cli`], and each recipe both runs the suite with its reports and runs
//! the breaking-change gate.

use std::path::Path;

use clap::Parser;
use contract_tests::cli::{Cli, Command};

/// The ```yaml blocks of the page's section `heading` (up to the next `## `).
fn yaml_blocks(readme: &str, heading: &str) -> Vec<String> {
    let start = readme
        .find(heading)
        .expect("contract-tests/README.md has the section");
    let section = &readme[start + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .split("```yaml\n")
        .skip(1)
        .map(|rest| rest[..rest.find("```").expect("a closed block")].to_owned())
        .collect()
}

/// The `contract-tests` command lines of a YAML block, as the shell would
/// split them: lines continued with `\` joined, YAML's `- ` and `key:`
/// prefixes dropped, a line kept when its command is a path ending in
/// `contract-tests`.
fn command_lines(block: &str) -> Vec<Vec<String>> {
    let joined = block.replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|line| {
            let words = shell_words(line);
            let start = words.iter().position(|w| w != "-" && !w.ends_with(':'))?;
            let words = &words[start..];
            (words.first()?.rsplit('/').next() == Some("contract-tests")).then(|| words.to_vec())
        })
        .collect()
}

/// `line` split into words as a POSIX shell would (quotes and backslashes;
/// variables left as they are written).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    let mut quote = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (Some(q), c) if c == q => quote = None,
            (None | Some('"'), '\\') => word.get_or_insert_default().extend(chars.next()),
            (_, c) => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
}

#[test]
fn shell_words_split_as_a_shell_does() {
    assert_eq!(
        shell_words(r#"  - run: ./x --base-url "$URL" 'a b' c\ d """#),
        ["-", "run:", "./x", "--base-url", "$URL", "a b", "c d", ""]
    );
    assert_eq!(
        command_lines(
            "- run: |\n    ./target/release/contract-tests --cases 8 \\\n      --jobs 1\n- cargo install --path contract-tests\n"
        ),
        [[
            "./target/release/contract-tests",
            "--cases",
            "8",
            "--jobs",
            "1"
        ]]
    );
}

#[test]
fn every_contract_tests_command_of_the_ci_recipes_parses() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("contract-tests/README.md");
    let blocks = yaml_blocks(
        &readme,
        "## In CI: JUnit, coverage and the breaking-change gate",
    );
    assert!(
        blocks.len() >= 2,
        "the page shows a GitHub Actions and a GitLab CI recipe"
    );
    for block in &blocks {
        let commands = command_lines(block);
        assert!(
            !commands.is_empty(),
            "a CI recipe without a contract-tests command:\n{block}"
        );
        let mut run_with_reports = false;
        let mut gate = false;
        for words in &commands {
            let cli = Cli::try_parse_from(words).unwrap_or_else(|err| {
                panic!("the recipe's `{}` does not parse:\n{err}", words.join(" "))
            });
            match &cli.command {
                Some(Command::Diff { old, new }) => {
                    gate |= old == Path::new("openapi/released/4.0.json")
                        && new == Path::new("openapi/openapi.json");
                }
                // A recipe may compare deployments too; it is parsed above.
                Some(Command::Compare { .. }) => {}
                None => {
                    run_with_reports |= cli.base_url.as_deref() == Some("$DEPLOYMENT_URL")
                        && cli.junit.is_some()
                        && cli.coverage.is_some()
                        && cli.min_coverage.is_some();
                }
            }
        }
        assert!(
            run_with_reports,
            "no run with --junit, --coverage and --min-coverage against $DEPLOYMENT_URL in\n{block}"
        );
        assert!(
            gate,
            "no `contract-tests diff openapi/released/4.0.json openapi/openapi.json` in\n{block}"
        );
    }
}
