//! DOM test ids shared by the components and the Playwright tests.
//!
//! `end2end/tests/testids.ts` is generated from this list; a unit test fails when it is stale.
//! Regenerate with `UPDATE_TESTIDS=1 cargo test -p app testids`.

macro_rules! testids {
    ($($name:ident = $value:literal;)*) => {
        $(pub const $name: &str = $value;)*
        /// Every id, as (constant name, value).
        pub const ALL: &[(&str, &str)] = &[$((stringify!($name), $value)),*];
    };
}

testids! {
    NAV_LOGIN = "nav-login";
    NAV_SIGNUP = "nav-signup";
    NAV_LOGOUT = "nav-logout";
    NAV_SETTINGS = "nav-settings";
    NAV_DASHBOARD = "nav-dashboard";
    SIGNUP_NAME = "signup-name";
    SIGNUP_EMAIL = "signup-email";
    SIGNUP_PASSWORD = "signup-password";
    SIGNUP_SUBMIT = "signup-submit";
    LOGIN_EMAIL = "login-email";
    LOGIN_PASSWORD = "login-password";
    LOGIN_SUBMIT = "login-submit";
    FORM_ERROR = "form-error";
    DASHBOARD = "coach-dashboard";
    DASHBOARD_EMPTY = "coach-dashboard-empty";
    DASHBOARD_GREETING = "coach-dashboard-greeting";
    SETTINGS_FORM = "settings-form";
    SETTINGS_NAME = "settings-name";
    SETTINGS_EMAIL = "settings-email";
    SETTINGS_BRAND = "settings-brand";
    SETTINGS_UNITS = "settings-units";
    SETTINGS_TIMEZONE = "settings-timezone";
    SETTINGS_SUBMIT = "settings-submit";
    SETTINGS_SAVED = "settings-saved";
    HYDRATED = "hydrated";
}

/// The TypeScript module the e2e tests import.
pub fn typescript_module() -> String {
    let mut out = String::from(
        "// Generated from app/src/testids.rs. Do not edit: run `UPDATE_TESTIDS=1 cargo test -p app testids`.\n",
    );
    for (name, value) in ALL {
        out.push_str(&format!("export const {name} = '{value}';\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn testids_ts_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/tests/testids.ts");
        let expected = typescript_module();
        if std::env::var_os("UPDATE_TESTIDS").is_some() {
            std::fs::write(path, &expected).expect("write testids.ts");
        }
        let actual = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            actual, expected,
            "end2end/tests/testids.ts is stale; regenerate it (see module docs)"
        );
    }

    #[test]
    fn testids_are_unique() {
        let mut values: Vec<_> = ALL.iter().map(|(_, v)| *v).collect();
        values.sort();
        values.dedup();
        assert_eq!(values.len(), ALL.len());
    }
}
