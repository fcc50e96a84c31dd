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
    NAV_PORTAL = "nav-portal";
    NAV_ACCOUNT = "nav-account";
    NAV_NOTES = "nav-notes";
    ROSTER = "roster";
    ROSTER_SEARCH = "roster-search";
    ROSTER_SHOW_ACTIVE = "roster-show-active";
    ROSTER_SHOW_ARCHIVED = "roster-show-archived";
    ROSTER_ROW = "roster-row";
    ROSTER_EMPTY = "roster-empty";
    ROSTER_COUNT = "roster-count";
    ROSTER_PREV = "roster-prev";
    ROSTER_NEXT = "roster-next";
    ROSTER_ADD = "roster-add";
    CLIENT_FORM = "client-form";
    CLIENT_NAME = "client-name";
    CLIENT_EMAIL = "client-email";
    CLIENT_PHONE = "client-phone";
    CLIENT_DOB = "client-dob";
    CLIENT_AGE = "client-age";
    CLIENT_GENDER = "client-gender";
    CLIENT_HEIGHT = "client-height";
    CLIENT_WEIGHT = "client-weight";
    CLIENT_GOALS = "client-goals";
    CLIENT_CONDITIONS = "client-conditions";
    CLIENT_DIET = "client-diet";
    CLIENT_INJURIES = "client-injuries";
    CLIENT_MEDICATIONS = "client-medications";
    CLIENT_CHECKIN_DAY = "client-checkin-day";
    CLIENT_SUBMIT = "client-submit";
    CLIENT_SAVED = "client-saved";
    CLIENT_PAGE = "client-page";
    CLIENT_TITLE = "client-title";
    CLIENT_ARCHIVED_BADGE = "client-archived-badge";
    CLIENT_ARCHIVE = "client-archive";
    CLIENT_UNARCHIVE = "client-unarchive";
    CLIENT_DELETE = "client-delete";
    CLIENT_DELETE_CONFIRM = "client-delete-confirm";
    INVITE_SEND = "invite-send";
    INVITE_LINK = "invite-link";
    INVITE_REVOKE = "invite-revoke";
    INVITE_STATE = "invite-state";
    NOTE_BODY = "note-body";
    NOTE_ADD = "note-add";
    NOTE_ITEM = "note-item";
    NOTE_DELETE = "note-delete";
    TODO_TITLE = "todo-title";
    TODO_DUE = "todo-due";
    TODO_ADD = "todo-add";
    TODO_ITEM = "todo-item";
    TODO_DONE = "todo-done";
    TODO_DELETE = "todo-delete";
    JOIN_PAGE = "join-page";
    JOIN_PASSWORD = "join-password";
    JOIN_SUBMIT = "join-submit";
    JOIN_UNUSABLE = "join-unusable";
    PORTAL = "portal";
    PORTAL_BRAND = "portal-brand";
    PORTAL_PROFILE = "portal-profile";
    PORTAL_EMPTY = "portal-empty";
    PORTAL_EMAIL = "portal-email";
    PORTAL_PHONE = "portal-phone";
    PORTAL_CONTACT_SAVE = "portal-contact-save";
    PORTAL_CONTACT_SAVED = "portal-contact-saved";
    ACCOUNT_CURRENT = "account-current";
    ACCOUNT_NEW = "account-new";
    ACCOUNT_SUBMIT = "account-submit";
    ACCOUNT_SAVED = "account-saved";
    NAV_INBOX = "nav-inbox";
    NAV_CHECKIN = "nav-checkin";
    CHECKIN_FORM = "checkin-form";
    CHECKIN_FIELD_PREFIX = "checkin-field-";
    CHECKIN_FEEDBACK = "checkin-feedback";
    CHECKIN_PHOTO_PREFIX = "checkin-photo-";
    CHECKIN_SUBMIT = "checkin-submit";
    CHECKIN_PROGRESS = "checkin-progress";
    CHECKIN_DRAFT_RESTORED = "checkin-draft-restored";
    CHECKIN_SUBMITTED = "checkin-submitted";
    CHECKIN_LIST = "checkin-list";
    CHECKIN_ROW = "checkin-row";
    CHECKIN_DETAIL = "checkin-detail";
    CHECKIN_REPLY_TEXT = "checkin-reply-text";
    CHECKIN_PHOTO = "checkin-photo";
    INBOX = "inbox";
    INBOX_ROW = "inbox-row";
    INBOX_EMPTY = "inbox-empty";
    INBOX_PREV = "inbox-prev";
    INBOX_NEXT = "inbox-next";
    REVIEW_PAGE = "review-page";
    REVIEW_CURRENT = "review-current";
    REVIEW_PREVIOUS = "review-previous";
    REVIEW_CHANGE = "review-change";
    REVIEW_REPLY = "review-reply";
    REVIEW_SUBMIT = "review-submit";
    REVIEW_DONE = "review-done";
    REVIEW_DELETE = "review-delete";
    REVIEW_DELETE_CONFIRM = "review-delete-confirm";
    PROGRESS = "progress";
    PROGRESS_EMPTY = "progress-empty";
    PROGRESS_CHART = "progress-chart";
    PHOTO_COMPARE = "photo-compare";
    PHOTO_COMPARE_LEFT = "photo-compare-left";
    PHOTO_COMPARE_RIGHT = "photo-compare-right";
    PHOTO_COMPARE_SLOT = "photo-compare-slot";
    PHOTO_COMPARE_IMAGE = "photo-compare-image";
    CHECKIN_PDF = "checkin-pdf";
    GOALS = "goals";
    GOALS_EMPTY = "goals-empty";
    GOAL_ROW = "goal-row";
    GOAL_PROGRESS = "goal-progress";
    GOAL_SUMMARY = "goal-summary";
    GOAL_FORM_TITLE = "goal-form-title";
    GOAL_FORM_KIND = "goal-form-kind";
    GOAL_FORM_METRIC = "goal-form-metric";
    GOAL_FORM_TARGET = "goal-form-target";
    GOAL_FORM_DATE = "goal-form-date";
    GOAL_FORM_PER_WEEK = "goal-form-per-week";
    GOAL_FORM_SUBMIT = "goal-form-submit";
    GOAL_COMPLETE = "goal-complete";
    GOAL_ABANDON = "goal-abandon";
    GOAL_REACTIVATE = "goal-reactivate";
    GOAL_DELETE = "goal-delete";
    GOAL_LOG_TIMES = "goal-log-times";
    GOAL_LOG_SAVE = "goal-log-save";
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
