//! Helpers shared by the CLI tests: run the real binary, then check its exit code and read its
//! stdout as text, JSON or JSON Lines (failure messages carry the binary's stderr).

use std::ffi::OsStr;
use std::process::{Command, Output};

use serde_json::Value;

/// Run the `bitlens` binary with `args` and wait for it; panics if it cannot be started.
#[track_caller]
pub fn bitlens<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let exe = env!("CARGO_BIN_EXE_bitlens");
    Command::new(exe)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {exe}: {e}"))
}

/// Assert the run succeeded and return its stdout (which must be UTF-8).
#[track_caller]
pub fn stdout_ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "bitlens failed ({}); stderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// Assert the run succeeded and parse its stdout as one JSON document.
#[track_caller]
pub fn json_ok(out: &Output) -> Value {
    let text = stdout_ok(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text}"))
}

/// Assert the run succeeded and parse its stdout as JSON Lines (one document a line).
#[track_caller]
pub fn json_lines(out: &Output) -> Vec<Value> {
    stdout_ok(out)
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect()
}

/// Assert the run was refused as a usage error (exit code 2, no panic) and return its stderr.
#[track_caller]
pub fn usage_error(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "should exit 2; stderr: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "bitlens panicked: {stderr}");
    stderr
}
