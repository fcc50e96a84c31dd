//! The Fitness Coaching Data Standard v1 (`open-coaching-data.json`): the portable format that
//! other coaching platforms read. Its schema is vendored in `app/schemas/`; the export tests
//! validate every package we write against it. What FCDS v1 has no place for (coach replies,
//! goals, coaching sessions, photos) stays in `data.json` beside it, and the manifest says so.
//!
//! FCDS ids must match `^[a-z][a-z0-9_:-]{1,127}$`, so ours are prefixed by kind
//! (`client:<32 hex>`, `check_in:<32 hex>`, ...); see [`fcds_id`].

use crate::domain::{
    Answer, CheckinDetail, ClientProfile, CoachProfile, Exercise, FieldType, FormDefinition,
    FormKind, FormResponse, LoadUnit, MealPlan, Metric, PlanDoc, Units, WorkoutPlan,
};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: &str = "1.0.0";

/// The FCDS id of one of ours: `kind:raw`, lower-cased, with any character the standard does not
/// allow replaced by `-`, at most 128 characters.
pub fn fcds_id(kind: &str, raw: &str) -> String {
    let cleaned: String = format!("{kind}:{raw}")
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' | ':' | '-' => c,
            _ => '-',
        })
        .take(128)
        .collect();
    cleaned
}

/// Milliseconds since the epoch as an RFC 3339 date-time in UTC.
pub fn date_time(millis: i64) -> String {
    let at = super::utc_at(millis);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Whether `email` is an address the standard's `format: email` takes: our own parsing accepts
/// a few forms it does not (two dots in a row, a dot at either end of the local part, commas),
/// and such an address is left out of the package rather than making it invalid.
fn is_plain_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// One client's data, as far as FCDS v1 holds it.
pub struct ClientRecords<'a> {
    pub profile: &'a ClientProfile,
    pub joined_at: Option<i64>,
    /// Oldest first.
    pub checkins: &'a [CheckinDetail],
    pub forms: &'a [FormResponse],
    pub meal_plan: Option<&'a PlanDoc<MealPlan>>,
    pub workout_plan: Option<&'a PlanDoc<WorkoutPlan>>,
}

/// The template every check-in's numbers and note are a submission of: FCDS keeps check-in
/// values as form answers.
pub const CHECKIN_TEMPLATE: &str = "form_template:coachroom-check-in";

fn metric_field_id(metric: Metric) -> String {
    fcds_id("field", metric.key())
}

/// `value` with the metric's SI unit, when it has one (counts have none).
fn with_unit(mut value: Value, metric: Metric) -> Value {
    let unit = metric.unit(Units::Metric);
    if !unit.is_empty() {
        value["unit"] = json!(unit);
    }
    value
}

fn checkin_template() -> Value {
    let mut fields: Vec<Value> = Metric::ALL
        .iter()
        .enumerate()
        .map(|(order, metric)| {
            with_unit(
                json!({
                    "id": metric_field_id(*metric),
                    "label": metric.label(),
                    "field_type": "measurement",
                    "required": false,
                    "order": order,
                }),
                *metric,
            )
        })
        .collect();
    fields.push(json!({
        "id": "field:feedback",
        "label": "How the week went",
        "field_type": "textarea",
        "required": false,
        "order": Metric::ALL.len(),
    }));
    json!({
        "id": CHECKIN_TEMPLATE,
        "name": "Coachroom check-in",
        "form_type": "check_in",
        "description": "Measurements in SI units (kg, cm) and the client's note.",
        "fields": fields,
    })
}

fn field_type(field_type: FieldType) -> &'static str {
    match field_type {
        FieldType::Text => "text",
        FieldType::LongText => "textarea",
        FieldType::Number => "number",
        FieldType::Date => "date",
        FieldType::YesNo => "boolean",
        FieldType::SingleChoice => "single_choice",
        FieldType::MultiChoice => "multiple_choice",
        FieldType::Rating => "rating",
        FieldType::Heading => "section",
    }
}

fn form_type(kind: FormKind) -> &'static str {
    match kind {
        FormKind::Intake => "intake",
        FormKind::Checkin => "check_in",
        FormKind::Questionnaire => "questionnaire",
    }
}

fn answer_value(answer: &Answer) -> Value {
    match answer {
        Answer::Text(text) | Answer::Date(text) | Answer::Choice(text) => json!(text),
        Answer::Number(n) => json!(n),
        Answer::YesNo(b) => json!(b),
        Answer::Choices(choices) => json!(choices),
        Answer::Rating(r) => json!(r),
    }
}

/// A form definition as an FCDS template (one per assignment: a definition is copied when
/// assigned, so two clients' copies of one form may differ).
fn form_template(id: &str, definition: &FormDefinition, created_at: i64) -> Value {
    let fields: Vec<Value> = definition
        .fields
        .iter()
        .enumerate()
        .map(|(order, field)| {
            let mut out = json!({
                "id": fcds_id("field", &field.id),
                "label": field.label,
                "field_type": field_type(field.field_type),
                "required": field.required,
                "order": order,
            });
            if !field.options.is_empty() {
                out["options"] = json!(field.options);
            }
            if !field.unit.is_empty() {
                out["unit"] = json!(field.unit);
            }
            if let Some(min) = field.min {
                out["min_value"] = json!(min);
            }
            if let Some(max) = field.max {
                out["max_value"] = json!(max);
            }
            out
        })
        .collect();
    let mut template = json!({
        "id": id,
        "name": definition.name,
        "form_type": form_type(definition.kind),
        "fields": fields,
        "created_at": date_time(created_at),
    });
    if !definition.description.is_empty() {
        template["description"] = json!(definition.description);
    }
    template
}

fn client_record(records: &ClientRecords<'_>) -> Value {
    let p = records.profile;
    let mut client = Map::new();
    client.insert("id".into(), json!(fcds_id("client", &p.id)));
    client.insert("display_name".into(), json!(p.name));
    client.insert(
        "status".into(),
        json!(if p.archived { "archived" } else { "active" }),
    );
    if is_plain_email(&p.email) {
        client.insert("email".into(), json!(p.email));
    }
    if !p.phone.is_empty() {
        client.insert("phone".into(), json!(p.phone));
    }
    if let Some(dob) = &p.date_of_birth {
        client.insert("date_of_birth".into(), json!(dob));
    }
    if let Some(age) = p.age_years {
        client.insert("age".into(), json!(age));
    }
    if !p.gender.is_empty() {
        client.insert("gender".into(), json!(p.gender));
    }
    if let Some(cm) = p.height_cm {
        client.insert("height".into(), json!({"value": cm, "unit": "cm"}));
    }
    if let Some(kg) = p.weight_kg {
        client.insert("weight".into(), json!({"value": kg, "unit": "kg"}));
    }
    if let Some(day) = p.checkin_day {
        client.insert("check_in_day".into(), json!(day.as_str()));
    }
    if let Some(joined) = records.joined_at {
        client.insert("joined_at".into(), json!(date_time(joined)));
    }
    let health: Vec<String> = [
        ("Goals", &p.goals),
        ("Medical conditions", &p.medical_conditions),
        ("Dietary restrictions", &p.dietary_restrictions),
        ("Injuries", &p.injuries),
        ("Medications", &p.medications),
    ]
    .into_iter()
    .filter(|(_, text)| !text.is_empty())
    .map(|(label, text)| format!("{label}: {text}"))
    .collect();
    if !health.is_empty() {
        client.insert("health_context".into(), json!(health.join("\n")));
    }
    Value::Object(client)
}

fn meal_plan(doc: &PlanDoc<MealPlan>) -> Value {
    let t = &doc.body.targets;
    let mut targets = Map::new();
    for (key, value) in [
        ("calories_kcal", t.kcal),
        ("protein_g", t.protein_g),
        ("carbohydrates_g", t.carbs_g),
        ("fat_g", t.fat_g),
    ] {
        if let Some(value) = value.filter(|v| *v >= 0.0) {
            targets.insert(key.into(), json!(value));
        }
    }
    json!({
        "id": fcds_id("meal_plan", &doc.summary.id),
        "name": doc.summary.name,
        "targets": targets,
        "status": if doc.summary.active { "active" } else { "inactive" },
    })
}

fn prescription(exercise: &Exercise) -> Value {
    let mut out = Map::new();
    if let Some(sets) = exercise.sets {
        out.insert("sets".into(), json!(sets));
    }
    if !exercise.reps.is_empty() {
        out.insert("reps".into(), json!(exercise.reps));
    }
    if let Some(load) = &exercise.load {
        let unit = match load.unit {
            LoadUnit::Kg => "kg",
            LoadUnit::Lb => "lb",
            LoadUnit::PercentOneRm => "percent_1rm",
            LoadUnit::Bodyweight => "bodyweight_plus_kg",
        };
        out.insert("load".into(), json!({"value": load.value, "unit": unit}));
    }
    match exercise.effort {
        Some(crate::domain::Effort::Rpe(rpe)) => {
            out.insert("rpe".into(), json!(rpe));
        }
        Some(crate::domain::Effort::Rir(rir)) => {
            out.insert("rir".into(), json!(rir));
        }
        None => {}
    }
    if let Some(rest) = exercise.rest_secs {
        out.insert("rest".into(), json!({"value": rest, "unit": "seconds"}));
    }
    if !exercise.tempo.is_empty() {
        out.insert("tempo".into(), json!(exercise.tempo));
    }
    Value::Object(out)
}

/// Appends a workout plan, its sessions and their exercises to the training section.
fn workout_plan(doc: &PlanDoc<WorkoutPlan>, training: &mut BTreeMap<&'static str, Vec<Value>>) {
    let plan_id = fcds_id("workout_plan", &doc.summary.id);
    let mut plan = json!({"id": plan_id, "name": doc.summary.name});
    if !doc.body.notes.is_empty() {
        plan["notes"] = json!(doc.body.notes);
    }
    training.entry("workout_plans").or_default().push(plan);
    for (s, session) in doc.body.sessions.iter().enumerate() {
        let session_id = format!("{plan_id}:session-{}", s + 1);
        let mut out = json!({
            "id": session_id,
            "workout_plan_id": plan_id,
            "name": if session.name.is_empty() { format!("Session {}", s + 1) } else { session.name.clone() },
            "day_index": s + 1,
            "order": s,
        });
        for (key, text) in [
            ("warmup", &session.warm_up),
            ("cooldown", &session.cool_down),
            ("notes", &session.notes),
        ] {
            if !text.is_empty() {
                out[key] = json!(text);
            }
        }
        if !session.day.is_empty() {
            let notes = out["notes"].as_str().unwrap_or_default().to_owned();
            let day = format!("Day: {}", session.day);
            out["notes"] = json!(if notes.is_empty() {
                day
            } else {
                format!("{day}\n{notes}")
            });
        }
        training.entry("workout_sessions").or_default().push(out);
        for (e, exercise) in session.exercises.iter().enumerate() {
            let mut out = json!({
                "id": format!("{session_id}:exercise-{}", e + 1),
                "workout_session_id": session_id,
                "order": e,
                "section": "main",
                "prescription": prescription(exercise),
                "exercise": {"name": exercise.name},
            });
            if !exercise.notes.is_empty() {
                out["notes"] = json!(exercise.notes);
            }
            training
                .entry("workout_session_exercises")
                .or_default()
                .push(out);
        }
    }
}

/// Everything FCDS holds about these clients, as one package.
pub fn package(package_id: &str, now: i64, clients: &[ClientRecords<'_>]) -> Value {
    let mut package = Package::default();
    for records in clients {
        package.add(records);
    }
    package.finish(package_id, now, &[])
}

/// A package built one client at a time, so a whole workspace's clients need not all be in
/// memory together: only what the package itself holds.
pub struct Package {
    /// The `coach` section: only in a workspace's export, never in a client's.
    coach: Option<Value>,
    client_list: Vec<Value>,
    assignments: Vec<Value>,
    templates: Vec<Value>,
    submissions: Vec<Value>,
    check_ins: Vec<Value>,
    meal_plans: Vec<Value>,
    training: BTreeMap<&'static str, Vec<Value>>,
}

impl Default for Package {
    fn default() -> Self {
        Self {
            coach: None,
            client_list: Vec::new(),
            assignments: Vec::new(),
            templates: vec![checkin_template()],
            submissions: Vec::new(),
            check_ins: Vec::new(),
            meal_plans: Vec::new(),
            training: BTreeMap::new(),
        }
    }
}

impl Package {
    /// Check-ins in the package so far.
    pub fn check_in_count(&self) -> usize {
        self.check_ins.len()
    }

    /// Adds the `coach` section: the coach's profile and workspace settings.
    pub fn set_coach(&mut self, coach_id: &str, coach: &CoachProfile) {
        let id = fcds_id("coach", coach_id);
        let mut profile = json!({"id": id, "display_name": coach.name, "timezone": coach.timezone});
        if is_plain_email(&coach.email) {
            profile["email"] = json!(coach.email);
        }
        let (mass, length) = match coach.units {
            Units::Metric => ("kg", "cm"),
            Units::Imperial => ("lb", "in"),
        };
        let mut settings = json!({
            "id": fcds_id("coach_settings", coach_id),
            "timezone": coach.timezone,
            "units": {"weight": mass, "height": length, "body_measurements": length},
        });
        // No business name is no `business_name`: an importer then keeps its own.
        if !coach.brand_name.is_empty() {
            profile["business_name"] = json!(coach.brand_name);
            settings["brand"] = json!({"business_name": coach.brand_name});
        }
        self.coach = Some(json!({"profile": profile, "settings": settings}));
    }

    /// Adds one client and everything of theirs that FCDS holds.
    pub fn add(&mut self, records: &ClientRecords<'_>) {
        let client_id = fcds_id("client", &records.profile.id);
        self.client_list.push(client_record(records));
        for (n, checkin) in records.checkins.iter().enumerate() {
            let submission_id = fcds_id("form_submission", &format!("check-in-{}", checkin.id));
            let mut answers: Vec<Value> = checkin
                .values
                .iter()
                .map(|(metric, value)| {
                    with_unit(
                        json!({
                            "field_id": metric_field_id(*metric),
                            "label": metric.label(),
                            "value": value,
                        }),
                        *metric,
                    )
                })
                .collect();
            if !checkin.feedback.is_empty() {
                answers.push(json!({"field_id": "field:feedback", "value": checkin.feedback}));
            }
            self.submissions.push(json!({
                "id": submission_id,
                "client_id": client_id,
                "form_template_id": CHECKIN_TEMPLATE,
                "submitted_at": date_time(checkin.submitted_at),
                "answers": answers,
            }));
            self.check_ins.push(json!({
                "id": fcds_id("check_in", &checkin.id),
                "client_id": client_id,
                "form_submission_id": submission_id,
                "check_in_number": n + 1,
                "checked_in_at": date_time(checkin.submitted_at),
            }));
        }
        for form in records.forms {
            self.add_form(&client_id, form);
        }
        if let Some(doc) = records.meal_plan {
            self.meal_plans.push(meal_plan(doc));
            self.assignments.push(json!({
                "id": fcds_id("assignment", &format!("meal-plan-{}", doc.summary.id)),
                "client_id": client_id,
                "assignment_type": "meal_plan",
                "assigned_record_id": fcds_id("meal_plan", &doc.summary.id),
                "status": if doc.summary.active { "active" } else { "inactive" },
            }));
        }
        if let Some(doc) = records.workout_plan {
            workout_plan(doc, &mut self.training);
            self.assignments.push(json!({
                "id": fcds_id("assignment", &format!("workout-plan-{}", doc.summary.id)),
                "client_id": client_id,
                "assignment_type": "workout_plan",
                "assigned_record_id": fcds_id("workout_plan", &doc.summary.id),
                "status": if doc.summary.active { "active" } else { "inactive" },
            }));
        }
    }

    fn add_form(&mut self, client_id: &str, form: &FormResponse) {
        let template_id = fcds_id("form_template", &form.assignment_id);
        self.templates.push(form_template(
            &template_id,
            &form.definition,
            form.assigned_at,
        ));
        self.assignments.push(json!({
            "id": fcds_id("assignment", &form.assignment_id),
            "client_id": client_id,
            "assignment_type": match form.definition.kind {
                FormKind::Intake => "intake_form",
                FormKind::Checkin => "check_in_form",
                FormKind::Questionnaire => "form_template",
            },
            "assigned_record_id": template_id,
            "status": if form.submitted_at.is_some() { "completed" } else { "active" },
            "starts_at": date_time(form.assigned_at),
        }));
        let Some(submitted_at) = form.submitted_at else {
            return;
        };
        let answers: Vec<Value> = form
            .definition
            .fields
            .iter()
            .filter_map(|field| {
                let answer = form.answers.get(&field.id)?;
                Some(json!({
                    "field_id": fcds_id("field", &field.id),
                    "label": field.label,
                    "value": answer_value(answer),
                }))
            })
            .collect();
        self.submissions.push(json!({
            "id": fcds_id("form_submission", &form.assignment_id),
            "client_id": client_id,
            "form_template_id": template_id,
            "submitted_at": date_time(submitted_at),
            "answers": answers,
        }));
    }

    /// The package, with `warnings` (code, message) beyond the standard one.
    pub fn finish(mut self, package_id: &str, now: i64, warnings: &[(&str, &str)]) -> Value {
        let training = &mut self.training;
        let counts = json!({
            "clients": self.client_list.len(),
            "client_assignments": self.assignments.len(),
            "form_templates": self.templates.len(),
            "form_submissions": self.submissions.len(),
            "check_ins": self.check_ins.len(),
            "meal_plans": self.meal_plans.len(),
            "workout_plans": training.get("workout_plans").map_or(0, Vec::len),
            "workout_sessions": training.get("workout_sessions").map_or(0, Vec::len),
            "workout_session_exercises":
                training.get("workout_session_exercises").map_or(0, Vec::len),
        });
        let mut all_warnings = vec![json!({
            "code": "not_representable",
            "message": "FCDS v1 has no place for coach replies, goals, coaching sessions, \
                        progress photos, meal-plan days or answers to a custom check-in \
                        form; they are in data.json and the photos folder of this export. \
                        An email address the standard's format rejects is left out.",
            "severity": "info",
        })];
        all_warnings.extend(warnings.iter().map(
            |(code, message)| json!({"code": code, "message": message, "severity": "warning"}),
        ));
        let version = env!("CARGO_PKG_VERSION");
        let mut domains = vec!["clients", "forms", "check_ins", "nutrition", "training"];
        if self.coach.is_some() {
            domains.insert(0, "coach");
        }
        let mut package = json!({
            "manifest": {
                "schema_name": "open-coaching-data",
                "schema_version": SCHEMA_VERSION,
                "package_id": fcds_id("package", package_id),
                "created_at": date_time(now),
                "created_by_tool": {"name": "Coachroom", "version": version},
                "source_platform": {"name": "Coachroom", "version": version},
                "included_domains": domains,
                "record_counts": counts,
                "warnings": all_warnings,
                "validation_status": "not_validated",
            },
            "clients": {"clients": self.client_list, "client_assignments": self.assignments},
            "forms": {"form_templates": self.templates, "form_submissions": self.submissions},
            "check_ins": self.check_ins,
            "nutrition": {"meal_plans": self.meal_plans},
            "training": {
                "workout_plans": training.remove("workout_plans").unwrap_or_default(),
                "workout_sessions": training.remove("workout_sessions").unwrap_or_default(),
                "workout_session_exercises":
                    training.remove("workout_session_exercises").unwrap_or_default(),
            },
        });
        if let Some(coach) = self.coach {
            package["coach"] = coach;
        }
        package
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_standard() {
        assert_eq!(fcds_id("client", "3fA9"), "client:3fa9");
        assert_eq!(fcds_id("field", "How are you?"), "field:how-are-you-");
        assert_eq!(fcds_id("x", &"a".repeat(300)).len(), 128);
    }

    #[test]
    fn only_plain_emails_go_into_the_package() {
        assert!(is_plain_email("riley.client+x@example.com"));
        for odd in [
            "john..doe@example.com",
            ".x@example.com",
            "a,b@example.com",
            "a@b",
            "",
        ] {
            assert!(!is_plain_email(odd), "{odd}");
        }
    }

    #[test]
    fn date_times_are_utc() {
        assert_eq!(date_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(date_time(1_764_768_000_000), "2025-12-03T13:20:00Z");
    }
}
