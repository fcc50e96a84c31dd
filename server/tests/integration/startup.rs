//! The real binary: `--help` documents every variable, and bad configuration stops startup
//! with one line naming the variable.

use std::process::Command;

fn coachroom(envs: &[(&str, &str)]) -> std::process::Output {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coachroom"));
    cmd.env_clear()
        .env("COACHROOM_DATA_DIR", data.path())
        .env("COACHROOM_BIND", "127.0.0.1:0");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run coachroom")
}

#[test]
fn help_lists_every_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_coachroom"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "DATABASE_URL",
        "COACHROOM_DATA_DIR",
        "COACHROOM_BIND",
        "COACHROOM_BASE_URL",
        "COACHROOM_SECURE_COOKIES",
        "COACHROOM_TRUST_FORWARDED_FOR",
        "COACHROOM_MASTER_KEY_FILE",
        "COACHROOM_MASTER_KEY",
        "LEPTOS_SITE_ROOT",
    ] {
        assert!(help.contains(var), "--help should mention {var}:\n{help}");
    }
}

#[test]
fn bad_values_stop_startup_with_one_line_naming_the_variable() {
    let cases = [
        ("COACHROOM_BIND", "nope"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("COACHROOM_BASE_URL", "coach.example.com"),
        ("COACHROOM_SECURE_COOKIES", "sometimes"),
        ("COACHROOM_LOGIN_WINDOW_SECS", "0"),
        ("DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none"),
        ("COACHROOM_MASTER_KEY", "not 64 hex digits"),
    ];
    // A valid master key, so a PostgreSQL URL gets as far as connecting; a case may replace it.
    let key = "ab".repeat(32);
    for (var, value) in cases {
        let out = coachroom(&[("COACHROOM_MASTER_KEY", key.as_str()), (var, value)]);
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("coachroom:"))
            .collect();
        assert_eq!(lines.len(), 1, "{var}={value}: {stderr}");
        assert!(
            lines[0].starts_with(&format!("coachroom: {var}:")),
            "{var}={value}: {stderr}"
        );
        assert!(
            !stderr.contains("secret"),
            "passwords never printed: {stderr}"
        );
    }
}
