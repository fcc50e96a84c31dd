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
    SIGNUP_CHECK_EMAIL = "signup-check-email";
    SIGNUP_CONFIRM_SUBMIT = "signup-confirm-submit";
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
    CLIENT_ERASED_BADGE = "client-erased-badge";
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
    ACCOUNT_EMAIL_NEW = "account-email-new";
    ACCOUNT_EMAIL_PASSWORD = "account-email-password";
    ACCOUNT_EMAIL_SUBMIT = "account-email-submit";
    ACCOUNT_EMAIL_SENT = "account-email-sent";
    CONFIRM_EMAIL_SUBMIT = "confirm-email-submit";
    CONFIRM_EMAIL_DONE = "confirm-email-done";
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
    CHECKIN_FORM_FIELDS = "checkin-form-fields";
    NAV_PLANS = "nav-plans";
    PLANS_PAGE = "plans-page";
    PLAN_TEMPLATES = "plan-templates";
    PLAN_ROW = "plan-row";
    PLAN_PDF = "plan-pdf";
    PLAN_DELETE = "plan-delete";
    PLAN_NEW_NAME = "plan-new-name";
    PLAN_NEW_SUBMIT = "plan-new-submit";
    CLIENT_PLANS = "client-plans";
    CLIENT_PLAN_LIST = "client-plan-list";
    CLIENT_PLAN_ROW = "client-plan-row";
    CLIENT_PLAN_ACTIVE = "client-plan-active";
    CLIENT_PLAN_ACTIVATE = "client-plan-activate";
    PLAN_ASSIGN_SELECT = "plan-assign-select";
    PLAN_ASSIGN_SUBMIT = "plan-assign-submit";
    PLAN_BUILDER = "plan-builder";
    PLAN_NAME = "plan-name";
    PLAN_NOTES = "plan-notes";
    PLAN_CHECK = "plan-check";
    PLAN_SAVE = "plan-save";
    PLAN_SAVED = "plan-saved";
    PLAN_TARGET_PROTEIN = "plan-target-protein";
    PLAN_TARGET_CARBS = "plan-target-carbs";
    PLAN_TARGET_FAT = "plan-target-fat";
    PLAN_TARGET_KCAL = "plan-target-kcal";
    PLAN_ADD_DAY = "plan-add-day";
    PLAN_DAY = "plan-day";
    PLAN_DAY_NAME = "plan-day-name";
    PLAN_DAY_NOTES = "plan-day-notes";
    PLAN_DAY_TOTALS = "plan-day-totals";
    PLAN_ADD_MEAL = "plan-add-meal";
    PLAN_MEAL = "plan-meal";
    PLAN_MEAL_NAME = "plan-meal-name";
    PLAN_MEAL_NOTES = "plan-meal-notes";
    PLAN_MEAL_TOTALS = "plan-meal-totals";
    PLAN_ADD_FOOD = "plan-add-food";
    PLAN_FOOD = "plan-food";
    FOOD_NAME = "food-name";
    FOOD_QUANTITY = "food-quantity";
    FOOD_UNIT = "food-unit";
    FOOD_PROTEIN = "food-protein";
    FOOD_CARBS = "food-carbs";
    FOOD_FAT = "food-fat";
    FOOD_KCAL = "food-kcal";
    MOVE_UP = "move-up";
    MOVE_DOWN = "move-down";
    REMOVE_ITEM = "remove-item";
    PLAN_ADD_SESSION = "plan-add-session";
    PLAN_SESSION = "plan-session";
    SESSION_NAME = "session-name";
    SESSION_DAY = "session-day";
    SESSION_WARM_UP = "session-warm-up";
    SESSION_COOL_DOWN = "session-cool-down";
    SESSION_NOTES = "session-notes";
    PLAN_ADD_EXERCISE = "plan-add-exercise";
    PLAN_EXERCISE = "plan-exercise";
    EXERCISE_NAME = "exercise-name";
    EXERCISE_SETS = "exercise-sets";
    EXERCISE_REPS = "exercise-reps";
    EXERCISE_LOAD = "exercise-load";
    EXERCISE_LOAD_UNIT = "exercise-load-unit";
    EXERCISE_TEMPO = "exercise-tempo";
    EXERCISE_EFFORT_SCALE = "exercise-effort-scale";
    EXERCISE_EFFORT = "exercise-effort";
    EXERCISE_REST = "exercise-rest";
    EXERCISE_NOTES = "exercise-notes";
    PORTAL_PLANS_LINK = "portal-plans-link";
    MY_MEAL_PLAN = "my-meal-plan";
    MY_WORKOUT_PLAN = "my-workout-plan";
    NAV_FORMS = "nav-forms";
    FORMS_PAGE = "forms-page";
    FORM_ROW = "form-row";
    FORM_DELETE = "form-delete";
    FORM_NEW_NAME = "form-new-name";
    FORM_NEW_KIND = "form-new-kind";
    FORM_NEW_SUBMIT = "form-new-submit";
    FORM_BUILDER = "form-builder";
    FORM_NAME = "form-name";
    FORM_KIND = "form-kind";
    FORM_DESCRIPTION = "form-description";
    FORM_FIELD = "form-field";
    FIELD_LABEL = "field-label";
    FIELD_TYPE = "field-type";
    FIELD_REQUIRED = "field-required";
    FIELD_HELP = "field-help";
    FIELD_MIN = "field-min";
    FIELD_MAX = "field-max";
    FIELD_UNIT = "field-unit";
    FIELD_OPTIONS = "field-options";
    FORM_ADD_FIELD = "form-add-field";
    FORM_CHECK = "form-check";
    FORM_SAVE = "form-save";
    FORM_SAVED = "form-saved";
    CLIENT_FORMS = "client-forms";
    FORM_ASSIGN_SELECT = "form-assign-select";
    FORM_ASSIGN_SUBMIT = "form-assign-submit";
    CHECKIN_FORM_SELECT = "checkin-form-select";
    CHECKIN_FORM_SAVE = "checkin-form-save";
    FORM_RESPONSE = "form-response";
    FORM_ANSWERS = "form-answers";
    MY_FORMS = "my-forms";
    MY_FORM_ROW = "my-form-row";
    MY_FORM_OPEN = "my-form-open";
    FILL_FORM = "fill-form";
    FILL_FIELD = "fill-field";
    FILL_SUBMIT = "fill-submit";
    FILL_DONE = "fill-done";
    CLIENT_SESSIONS = "client-sessions";
    SESSION_ROW = "session-row";
    SESSION_NEW = "session-new";
    SESSION_TITLE = "session-title";
    SESSION_HELD_AT = "session-held-at";
    SESSION_DURATION = "session-duration";
    SESSION_TAGS = "session-tags";
    SESSION_SUMMARY = "session-summary";
    SESSION_PRIVATE_NOTES = "session-private-notes";
    SESSION_SAVE = "session-save";
    SESSION_PAGE = "session-page";
    SESSION_SHARE = "session-share";
    SESSION_SHARE_STATE = "session-share-state";
    SESSION_DELETE = "session-delete";
    SESSION_TRANSCRIPT = "session-transcript";
    TRANSCRIPT_TURN = "transcript-turn";
    TRANSCRIPT_FILE = "transcript-file";
    TRANSCRIPT_UPLOAD = "transcript-upload";
    TRANSCRIPT_ERROR = "transcript-error";
    MY_SESSIONS = "my-sessions";
    MY_SESSION_ROW = "my-session-row";
    ACTION_ITEMS = "action-items";
    ACTION_ITEM_ROW = "action-item-row";
    ACTION_ITEM_DONE = "action-item-done";
    ACTION_ITEM_SHARE = "action-item-share";
    ACTION_ITEM_TEXT = "action-item-text";
    ACTION_ITEM_OWNER = "action-item-owner";
    ACTION_ITEM_SHARED = "action-item-shared";
    ACTION_ITEM_ADD = "action-item-add";
    MY_ACTION_ITEM = "my-action-item";
    MY_ACTION_ITEM_DONE = "my-action-item-done";
    TRANSCRIPT_AUDIO = "transcript-audio";
    AI_HELP = "ai-help";
    INSIGHTS_CARD = "insights-card";
    INSIGHTS_GENERATE = "insights-generate";
    INSIGHTS_STATUS = "insights-status";
    INSIGHTS_PROGRESS = "insights-progress";
    INSIGHTS_ERROR = "insights-error";
    INSIGHTS_SUMMARY = "insights-summary";
    INSIGHTS_THEMES = "insights-themes";
    INSIGHTS_SUGGESTION = "insights-suggestion";
    INSIGHTS_SUGGESTION_PICK = "insights-suggestion-pick";
    INSIGHTS_SAVE = "insights-save";
    INSIGHTS_APPLY = "insights-apply";
    INSIGHTS_APPLIED = "insights-applied";
    REPLY_DRAFT = "reply-draft";
    REPLY_DRAFT_ERROR = "reply-draft-error";
    CLIENT_AI_TOGGLE = "client-ai-toggle";
    AI_CALLS = "ai-calls";
    AI_CALL_ROW = "ai-call-row";
    NAV_AI = "nav-ai";
    ACCESS_LOG_PAGE = "access-log-page";
    ACCESS_LOG_ACTOR = "access-log-actor";
    ACCESS_LOG_ALL_CLIENTS = "access-log-all-clients";
    ACCESS_LOG = "access-log";
    ACCESS_LOG_ROW = "access-log-row";
    ACCESS_LOG_EMPTY = "access-log-empty";
    ACCESS_LOG_OLDER = "access-log-older";
    MY_ACCESS_LOG_PAGE = "my-access-log-page";
    PORTAL_ACCESS_LOG_LINK = "portal-access-log-link";
    CLIENT_ACCESS_LOG_LINK = "client-access-log-link";
    SETTINGS_ACCESS_LOG_LINK = "settings-access-log-link";
    DELETION_CARD = "deletion-card";
    DELETION_MESSAGE = "deletion-message";
    DELETION_REQUEST = "deletion-request";
    DELETION_WITHDRAW = "deletion-withdraw";
    DELETION_STATUS = "deletion-status";
    DELETION_DECLINE_REASON = "deletion-decline-reason";
    DELETION_REQUESTS = "deletion-requests";
    DELETION_REQUEST_ROW = "deletion-request-row";
    CLIENT_DELETION_BANNER = "client-deletion-banner";
    DELETION_DECLINE_TEXT = "deletion-decline-text";
    DELETION_DECLINE = "deletion-decline";
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
