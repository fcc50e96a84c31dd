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
}
