//! The README's promises that a test can hold: its first lines are exactly the two commands (the
//! local demo and the tests), CI runs that same test command, every script and path it names
//! exists, and its Slack examples are the golden files' text fallbacks.

mod common;

use common::{read, repo_root};

/// The lines of the README's first fenced code block, comments stripped.
fn first_commands(readme: &str) -> Vec<String> {
    let mut lines = readme.lines();
    let title = lines.next().unwrap_or_default();
    assert!(
        title.starts_with("# "),
        "README starts with its title, got {title:?}"
    );
    let mut block = lines.skip_while(|l| l.trim().is_empty());
    let fence = block.next().unwrap_or_default();
    assert!(
        fence.starts_with("```"),
        "the README's first lines after the title are a code block with the two commands, got {fence:?}"
    );
    block
        .take_while(|l| !l.starts_with("```"))
        .map(|l| l.split('#').next().unwrap_or_default().trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn first_lines_are_the_demo_and_the_test_command() {
    let commands = first_commands(&read("README.md"));
    assert_eq!(commands, ["./scripts/demo", "./scripts/test"]);
    for command in &commands {
        let path = repo_root().join(command.trim_start_matches("./"));
        let meta = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{command}: {e} ({})", path.display()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_ne!(
                meta.permissions().mode() & 0o111,
                0,
                "{command} is not executable"
            );
        }
        let _ = meta;
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let ci = read(".ci/run");
    let runs: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(
        runs.contains(&"exec ./scripts/test"),
        ".ci/run must call the README's test command ./scripts/test; it runs {runs:?}"
    );
}

#[test]
fn slack_examples_are_the_golden_text_fallbacks() {
    let readme = read("README.md");
    let start = "<!-- slack-examples:start -->";
    let end = "<!-- slack-examples:end -->";
    // Every marked list (the re-run notices', the watchdog's): the text between each start and
    // the end that follows it.
    let sections: Vec<&str> = readme
        .split(start)
        .skip(1)
        .map(|rest| {
            rest.split_once(end)
                .map(|(section, _)| section)
                .expect("every slack-examples:start has its end")
        })
        .collect();
    assert!(
        !sections.is_empty(),
        "README has the slack-examples markers"
    );
    let mut count = 0;
    for line in sections
        .iter()
        .flat_map(|s| s.lines())
        .filter(|l| !l.trim().is_empty())
    {
        let (kind, text) = line
            .strip_prefix("- `")
            .and_then(|l| l.split_once("`: "))
            .unwrap_or_else(|| panic!("example line is not \"- `kind`: text\": {line:?}"));
        let golden = read(&format!("tests/golden/slack/sns_notification_{kind}.json"));
        let golden: serde_json::Value = serde_json::from_str(&golden).expect("golden is JSON");
        assert_eq!(
            golden["text"].as_str(),
            Some(text),
            "README example {kind} differs from tests/golden/slack/sns_notification_{kind}.json"
        );
        count += 1;
    }
    assert!(
        count >= 9,
        "the README shows every outcome kind and every watchdog kind, found {count}"
    );
}

#[test]
fn paths_the_readme_names_exist() {
    let readme = read("README.md");
    let mut missing = Vec::new();
    let mut checked = 0;
    for word in readme.split(|c: char| c.is_whitespace() || "`()[],:".contains(c)) {
        let word = word.trim_end_matches('.');
        let looks_like_path = [
            "scripts/",
            "crates/",
            "docs/",
            "statemachine/",
            "cloudformation/",
            "examples/",
            ".github/",
        ]
        .iter()
        .any(|p| word.starts_with(p) || word.starts_with(&format!("./{p}")));
        if looks_like_path && !word.contains(['<', '{', '*']) {
            let path = repo_root().join(word.trim_start_matches("./"));
            checked += 1;
            if !path.exists() {
                missing.push(word.to_owned());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the README names paths that do not exist: {missing:?}"
    );
    assert!(
        checked >= 20,
        "expected the README to name its layout; checked only {checked} paths"
    );
}

/// The value of `NAME=<integer>` in scripts/lib/common.sh.
fn common_sh_number(name: &str) -> u32 {
    let common = read("scripts/lib/common.sh");
    let prefix = format!("{name}=");
    common
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("scripts/lib/common.sh sets {name} to a whole number of GiB"))
}

#[test]
fn disk_figures_are_the_ones_scripts_test_checks() {
    let readme = read("README.md");
    let disk = readme
        .split("**Disk.**")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("the README has a **Disk.** paragraph");
    let full = common_sh_number("DISK_FULL_GIB");
    let rust_only = common_sh_number("DISK_RUST_ONLY_GIB");
    assert!(
        full > rust_only && rust_only > 0,
        "a full run needs more disk than --rust-only: {full} vs {rust_only}"
    );
    for (figure, what) in [(full, "a fresh run"), (rust_only, "--rust-only")] {
        assert!(
            disk.contains(&format!("**{figure} GiB**")),
            "the README's Disk paragraph states {what}'s {figure} GiB as scripts/lib/common.sh does: {disk}"
        );
    }
}
