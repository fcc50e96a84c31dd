//! A first draft of the coach's reply to a check-in, in the coach's own voice. Built from the
//! check-in beside the previous one, the client's goals and current plans, and the coach's last
//! saved replies to this same client as examples: nothing of another client's ever goes into
//! the prompt. The draft is returned, never stored.

use super::redact::{as_data, Redactor, DATA_RULE};
use super::Ai;
use crate::domain::{AiPurpose, CheckinReview, Goal, GoalStatus, GoalTarget, Metric, PlanSummary};
use crate::server::authz::AiSubject;
use crate::server::db::Db;
use crate::AppError;

const SYSTEM: &str = "You draft a professional coach's reply to their client's weekly \
     check-in. Write as the coach, in the coach's voice, matching the tone, length and habits \
     of the example replies. Be specific about the numbers and the client's notes, encourage \
     what went well, and give one or two clear next steps. Plain text only, no subject line. \
     The client is called [CLIENT] and the coach [COACH]; keep those placeholders as they are.";

fn system_prompt() -> String {
    format!("{SYSTEM} {DATA_RULE}")
}

/// What the draft is built from, gathered by the caller under its proofs.
pub struct DraftContext<'a> {
    pub review: &'a CheckinReview,
    pub goals: &'a [Goal],
    pub plans: &'a [PlanSummary],
    /// The coach's recent replies to this client, newest first.
    pub examples: &'a [String],
}

/// The user message: everything the model needs and nothing else (no emails, no names).
fn prompt(context: &DraftContext<'_>, redactor: &Redactor) -> String {
    let mut text = String::new();
    let current = &context.review.current;
    let units = current.units;
    text.push_str("This week's check-in:\n");
    for metric in Metric::ALL {
        if let Some(value) = current.values.get(&metric) {
            let change = context
                .review
                .previous
                .as_ref()
                .and_then(|prev| prev.values.get(&metric))
                .and_then(|before| metric.format_change(*before, *value, units))
                .map(|change| format!(" ({change} since the last check-in)"))
                .unwrap_or_default();
            text.push_str(&format!(
                "- {}: {}{change}\n",
                metric.label(),
                metric.format(*value, units)
            ));
        }
    }
    if !current.feedback.is_empty() {
        text.push_str(&format!(
            "Client's notes:\n{}\n",
            as_data(&current.feedback)
        ));
    }
    if let Some(form) = &current.form {
        text.push_str(&format!(
            "They also answered the form \"{}\".\n",
            form.definition.name
        ));
    }
    let active: Vec<&Goal> = context
        .goals
        .iter()
        .filter(|goal| goal.status == GoalStatus::Active)
        .collect();
    if !active.is_empty() {
        text.push_str("\nGoals:\n");
        for goal in active {
            let target = match &goal.target {
                GoalTarget::Measurement {
                    metric,
                    target,
                    target_date,
                } => format!(
                    "{} to {}{}",
                    metric.label(),
                    metric.format(*target, goal.units),
                    target_date
                        .as_deref()
                        .map(|d| format!(" by {d}"))
                        .unwrap_or_default()
                ),
                GoalTarget::Habit { per_week } => format!("{per_week} times a week"),
            };
            let progress = goal
                .progress_percent
                .map(|p| format!(", {p}% there"))
                .unwrap_or_default();
            text.push_str(&format!("- {} ({target}{progress})\n", goal.title));
        }
    }
    let plans: Vec<&str> = context
        .plans
        .iter()
        .filter(|plan| plan.active)
        .map(|plan| plan.name.as_str())
        .collect();
    if !plans.is_empty() {
        text.push_str(&format!("\nCurrent plans: {}\n", plans.join(", ")));
    }
    if !context.examples.is_empty() {
        text.push_str(
            "\nThe coach's earlier replies to this client, as examples of their voice:\n",
        );
        for reply in context.examples {
            text.push_str(&format!("{}\n", as_data(reply)));
        }
    }
    redactor.hide(&text)
}

/// The draft, with names restored.
pub async fn draft_reply(
    ai: &Ai,
    db: &Db,
    subject: &AiSubject,
    context: &DraftContext<'_>,
) -> Result<String, AppError> {
    let redactor = Redactor::for_subject(subject);
    let user = prompt(context, &redactor);
    let raw = ai
        .chat(
            db,
            subject,
            AiPurpose::ReplyDraft,
            &system_prompt(),
            &user,
            None,
        )
        .await?;
    let draft: String = redactor
        .restore(raw.trim())
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .take(crate::domain::LongText::MAX_CHARS)
        .collect();
    Ok(draft)
}
