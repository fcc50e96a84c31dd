//! Moving a workspace: what an import of a Fitness Coaching Data Standard v1 package did, or
//! (a dry run) would do.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Records of one kind: how many the import adds, and how many it found already imported
/// (importing the same package again adds nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImportTally {
    pub new: u32,
    pub existing: u32,
}

/// The outcome of `coach/import`. A dry run counts exactly what the import would add, and
/// writes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub clients: ImportTally,
    pub checkins: ImportTally,
    /// Forms given to clients, with their answers, and forms added to the library.
    pub forms: ImportTally,
    /// Meal and workout plans: clients' plans and templates.
    pub plans: ImportTally,
    /// The workspace settings the import sets (or would set) from the package, because they
    /// differ from the workspace's: "business name", "units", "time zone".
    #[serde(default)]
    pub settings: Vec<String>,
}

impl ImportReport {
    /// "3 clients, 40 check-ins, 2 forms, 1 plan" (what is or would be added).
    pub fn summary(&self) -> String {
        let part =
            |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        [
            part(self.clients.new, "client", "clients"),
            part(self.checkins.new, "check-in", "check-ins"),
            part(self.forms.new, "form", "forms"),
            part(self.plans.new, "plan", "plans"),
        ]
        .join(", ")
    }

    /// "business name, units and time zone": the settings the package sets, if any.
    pub fn settings_list(&self) -> Option<String> {
        match self.settings.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [first @ .., last] => Some(format!("{} and {last}", first.join(", "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_as_a_list() {
        let mut report = ImportReport::default();
        assert_eq!(report.settings_list(), None);
        report.settings = vec!["units".into()];
        assert_eq!(report.settings_list().as_deref(), Some("units"));
        report.settings = vec!["business name".into(), "units".into(), "time zone".into()];
        assert_eq!(
            report.settings_list().as_deref(),
            Some("business name, units and time zone")
        );
    }
}
