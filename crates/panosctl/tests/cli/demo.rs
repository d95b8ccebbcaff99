//! `panosctl demo` on a small fleet: the summary adds up to the fleet and every injected
//! fault shows as a failure with a manual action.

use std::collections::BTreeMap;

use assert_cmd::Command;

#[test]
fn a_small_demo_upgrades_the_fleet_and_shows_the_injected_failures() {
    let out = Command::cargo_bin("panosctl")
        .unwrap()
        .env("NO_COLOR", "1")
        .args([
            "demo",
            "--devices",
            "12",
            "--ha-pairs",
            "2",
            "--time-scale",
            "1000",
        ])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{text}\n{err}");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let table = text
        .split("OUTCOME")
        .nth(1)
        .expect("an outcome table")
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty());
    for line in table {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [outcome, n] = words.as_slice() {
            counts.insert((*outcome).to_owned(), n.parse().unwrap());
        }
    }
    let total = counts.remove("total").expect("a total line");
    assert_eq!(total, 12, "{text}");
    assert_eq!(counts.values().sum::<usize>(), 12, "{counts:?}");
    assert!(
        counts.get("upgraded").copied().unwrap_or(0) >= 4,
        "{counts:?}"
    );
    let injected: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("injected fault: "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(injected.len(), 4, "{text}");
    assert_eq!(counts.get("failed"), Some(&4), "{text}");
    let failures = text.split("Failed (").nth(1).expect("a failure list");
    for serial in injected {
        let lines: Vec<&str> = failures.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("  {serial} ")))
            .unwrap_or_else(|| panic!("{serial} is not in the failures:\n{failures}"));
        let entry = lines[at..(at + 3).min(lines.len())].join("\n");
        assert!(entry.contains("manual action: "), "{entry}");
        assert!(!entry.contains("manual action: -"), "{entry}");
    }
    assert!(text.contains("API calls to Panorama"));
    assert!(text.contains("removed (run with --keep"));
}
