//! Reading a Fitness Coaching Data Standard v1 package (`open-coaching-data.json`, ours or
//! another platform's) into what a Coachroom workspace keeps. The package has already passed the
//! schema (`workspace_import`); here every record goes through the same parsers as the forms a
//! coach fills in (`ClientInput`, `FormDraft`, the plan drafts, the check-in metrics), and each
//! refusal names the record by its JSON path. Nothing is written here.
//!
//! What maps where:
//! - `coach` → the importing workspace's business name, units and time zone (never the coach's
//!   name or login email);
//! - `clients.clients[]` → clients (the profile; `health_context` back into its labelled
//!   fields, or into medical conditions);
//! - `check_ins[]` with their form submission → check-ins: answers whose field is a metric of
//!   ours (by id or label) become its value in SI units, the others the client's note;
//! - the other form submissions and form assignments → forms given to the client, with answers;
//! - meal and workout plans assigned to a client → that client's plans (one active per kind),
//!   and plans assigned to no one → the workspace's templates;
//! - form templates used by no client and no check-in → the form library.
//!
//! Every record keeps its package id as its source key, so importing a package again creates
//! nothing twice (`store::imports`).

use super::fcds::CHECKIN_TEMPLATE;
use crate::domain::{
    parse_plan_name, Answers, BrandName, ClientForm, ClientInput, ExerciseDraft, FieldDraft,
    FormDefinition, FormDraft, LongText, MealPlan, MealPlanDraft, Metric, MetricValues, RawAnswers,
    Timezone, Units, WorkoutPlan, WorkoutPlanDraft, WorkoutSessionDraft,
};
use crate::AppError;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Clients one import takes at most.
pub const CLIENTS_MAX: usize = 10_000;
/// Problems reported at most: the first ones, by path.
pub const PROBLEMS_MAX: usize = 20;

/// One refusal: where in the package, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Everything to import, parsed.
#[derive(Debug, Default)]
pub struct ImportPackage {
    pub settings: ImportSettings,
    pub clients: Vec<ImportClient>,
    pub forms: Vec<Sourced<FormDefinition>>,
    pub meal_templates: Vec<ImportPlan<MealPlan>>,
    pub workout_templates: Vec<ImportPlan<WorkoutPlan>>,
}

/// The workspace settings a package's `coach` section carries. An import into a workspace that
/// has no settings of its own yet (a new account) takes the ones the package has; a workspace
/// whose coach chose any keeps all of theirs. The coach's name and login email are not settings:
/// they stay the importing account's.
#[derive(Debug, Default, PartialEq)]
pub struct ImportSettings {
    pub brand_name: Option<BrandName>,
    pub units: Option<Units>,
    pub timezone: Option<Timezone>,
}

/// The first of `candidates` that is a non-empty string.
fn first_text(candidates: [&Value; 2]) -> Option<&str> {
    candidates
        .into_iter()
        .find_map(|value| value.as_str().filter(|text| !text.trim().is_empty()))
}

/// The `coach` section's settings (`coach.settings`, else what `coach.profile` says). A value we
/// cannot take (a time-zone name we do not know, such as `GMT`; a name too long; a unit of
/// another system) is left out, and the workspace keeps its own: a setting is no reason to
/// refuse a move.
fn coach_settings(package: &Value) -> ImportSettings {
    let (profile, settings) = (&package["coach"]["profile"], &package["coach"]["settings"]);
    let brand_name = first_text([
        &settings["brand"]["business_name"],
        &profile["business_name"],
    ])
    .and_then(|raw| BrandName::parse(raw).ok());
    let timezone = first_text([&settings["timezone"], &profile["timezone"]])
        .and_then(|raw| crate::server::time_zones::known(raw).ok());
    let units_of = |unit: &Value| match unit.as_str().map(str::trim) {
        Some("kg" | "g" | "cm" | "m") => Some(Units::Metric),
        Some("lb" | "lbs" | "oz" | "in" | "ft") => Some(Units::Imperial),
        _ => None,
    };
    let units = units_of(&settings["units"]["weight"])
        .or_else(|| units_of(&settings["units"]["height"]))
        .or_else(|| units_of(&settings["units"]["body_measurements"]));
    ImportSettings {
        brand_name,
        units,
        timezone,
    }
}

/// A record with the key it came under: `<source platform>/<package id>`.
#[derive(Debug)]
pub struct Sourced<T> {
    pub source_key: String,
    pub record: T,
}

#[derive(Debug)]
pub struct ImportClient {
    pub source_key: String,
    /// The client's JSON path, for a refusal only the store can find (a taken email).
    pub path: String,
    pub profile: ClientInput,
    pub archived: bool,
    pub checkins: Vec<Sourced<ImportCheckin>>,
    pub forms: Vec<Sourced<ImportForm>>,
    pub meal_plans: Vec<ImportPlan<MealPlan>>,
    pub workout_plans: Vec<ImportPlan<WorkoutPlan>>,
}

#[derive(Debug)]
pub struct ImportCheckin {
    pub submitted_at: i64,
    pub values: MetricValues,
    pub feedback: LongText,
}

#[derive(Debug)]
pub struct ImportForm {
    pub definition: FormDefinition,
    pub answers: Answers,
    pub assigned_at: i64,
    pub submitted_at: Option<i64>,
}

#[derive(Debug)]
pub struct ImportPlan<B> {
    pub source_key: String,
    pub name: String,
    pub body: B,
    pub active: bool,
}

/// `records` of a section (`/section/key`), each with its JSON path.
fn records<'a>(package: &'a Value, section: &str, key: Option<&str>) -> Vec<(String, &'a Value)> {
    let (list, base) = match key {
        Some(key) => (&package[section][key], format!("/{section}/{key}")),
        None => (&package[section], format!("/{section}")),
    };
    list.as_array()
        .map(|items| {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("{base}/{i}"), item))
                .collect()
        })
        .unwrap_or_default()
}

fn text<'a>(record: &'a Value, key: &str) -> &'a str {
    record[key].as_str().unwrap_or_default()
}

/// An RFC 3339 date-time as milliseconds since the epoch.
fn millis(raw: &str, path: &str) -> Result<i64, Problem> {
    time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map(|at| (at.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|_| Problem::at(path, "not a date-time (RFC 3339)"))
}

/// A number, or a `{value, unit}` measurement, in `si` (kg or cm) when its unit is one we can
/// convert; `None` for a unit we cannot.
fn measurement(value: &Value, si: &str) -> Option<f64> {
    let (number, unit) = match value {
        Value::Number(n) => (n.as_f64()?, si.to_owned()),
        Value::String(s) => (s.trim().parse::<f64>().ok()?, si.to_owned()),
        Value::Object(_) => (
            value["value"].as_f64()?,
            value["unit"].as_str().unwrap_or(si).trim().to_lowercase(),
        ),
        _ => return None,
    };
    let factor = match (si, unit.as_str()) {
        (_, u) if u == si || u.is_empty() => 1.0,
        ("kg", "lb" | "lbs" | "pound" | "pounds") => 0.453_592_37,
        ("kg", "g") => 0.001,
        ("cm", "m") => 100.0,
        ("cm", "mm") => 0.1,
        ("cm", "in" | "inch" | "inches") => 2.54,
        ("cm", "ft") => 30.48,
        _ => return None,
    };
    Some(number * factor)
}

/// A number as the builders' text fields take it.
fn number_text(value: f64) -> String {
    let rounded = (value * 1000.0).round() / 1000.0;
    format!("{rounded}")
}

/// A refusal from one of our parsers, at `path`.
fn refused(path: &str, err: AppError) -> Problem {
    let message = match err {
        AppError::Invalid(message) => message,
        other => other.to_string(),
    };
    Problem::at(path, message)
}

/// The profile sections our export writes into `health_context`, by label.
const HEALTH_LABELS: [&str; 5] = [
    "Goals",
    "Medical conditions",
    "Dietary restrictions",
    "Injuries",
    "Medications",
];

/// `health_context` back into its labelled fields (as our export writes it); text under no
/// label goes to medical conditions.
fn health_sections(context: &str) -> [String; 5] {
    let mut sections: [String; 5] = Default::default();
    let mut current = 1;
    for line in context.lines() {
        let labelled = HEALTH_LABELS.iter().position(|label| {
            line.strip_prefix(label)
                .is_some_and(|rest| rest.starts_with(": "))
        });
        let rest = match labelled {
            Some(i) => {
                current = i;
                &line[HEALTH_LABELS[i].len() + 2..]
            }
            None => line,
        };
        let section = &mut sections[current];
        if !section.is_empty() {
            section.push('\n');
        }
        section.push_str(rest);
    }
    sections
}

fn client_profile(record: &Value, path: &str) -> Result<(ClientInput, bool), Problem> {
    let height =
        match record.get("height") {
            Some(h) => Some(measurement(h, "cm").ok_or_else(|| {
                Problem::at(format!("{path}/height"), "a height in cm, m, in or ft")
            })?),
            None => None,
        };
    let weight = match record.get("weight") {
        Some(w) => Some(
            measurement(w, "kg")
                .ok_or_else(|| Problem::at(format!("{path}/weight"), "a weight in kg, g or lb"))?,
        ),
        None => None,
    };
    let date_of_birth = text(record, "date_of_birth").to_owned();
    let [goals, medical_conditions, dietary_restrictions, injuries, medications] =
        health_sections(text(record, "health_context"));
    let form = ClientForm {
        name: text(record, "display_name").to_owned(),
        email: text(record, "email").to_owned(),
        phone: text(record, "phone").to_owned(),
        // A date of birth says more than an age; we keep one of them.
        age: match record["age"].as_i64() {
            Some(age) if date_of_birth.is_empty() => age.to_string(),
            _ => String::new(),
        },
        date_of_birth,
        gender: text(record, "gender").to_owned(),
        height: height.map(number_text).unwrap_or_default(),
        weight: weight.map(number_text).unwrap_or_default(),
        goals,
        medical_conditions,
        dietary_restrictions,
        injuries,
        medications,
        checkin_day: text(record, "check_in_day").to_owned(),
    };
    if form.email.trim().is_empty() {
        return Err(Problem::at(
            format!("{path}/email"),
            "Coachroom needs an email address for every client",
        ));
    }
    let profile = ClientInput::parse(&form, Units::Metric).map_err(|e| refused(path, e))?;
    Ok((profile, text(record, "status") == "archived"))
}

/// A field of a template that check-ins answer: its label, and the unit a bare number in it is in.
struct CheckinField<'a> {
    label: &'a str,
    unit: Option<&'a str>,
}

/// The check-in templates' fields, by field id.
type CheckinFields<'a> = BTreeMap<&'a str, CheckinField<'a>>;

/// An answer's label: its own, else its template field's.
fn answer_label<'a>(answer: &'a Value, fields: &CheckinFields<'a>) -> Option<&'a str> {
    answer["label"]
        .as_str()
        .or_else(|| fields.get(text(answer, "field_id")).map(|f| f.label))
}

/// The metric an answer is for: by our field id (`field:<metric>`), or by its label or its
/// template field's label.
fn metric_of(answer: &Value, fields: &CheckinFields<'_>) -> Option<Metric> {
    let field_id = text(answer, "field_id");
    let by_id = field_id.strip_prefix("field:").unwrap_or(field_id);
    let label = answer_label(answer, fields).unwrap_or_default();
    let label = comparable_label(label);
    Metric::ALL.into_iter().find(|m| {
        m.key() == by_id
            || comparable_label(m.label()) == label
            || comparable_label(m.key()) == label
            // "Body weight", "Bodyweight"
            || label.strip_prefix("body").is_some_and(|rest| rest == "weight") && *m == Metric::Weight
    })
}

/// A label without case, spaces or punctuation: "Body fat" and "body_fat" are one.
fn comparable_label(label: &str) -> String {
    label
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// An answer's value as text (a choice list as several).
fn answer_texts(value: &Value) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::Bool(b) => vec![if *b { "yes" } else { "no" }.to_owned()],
        Value::Number(n) => vec![n.to_string()],
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().flat_map(answer_texts).collect(),
        Value::Object(_) => answer_texts(&value["value"]),
    }
}

/// A check-in from its submission's answers.
fn checkin(
    check_in: &Value,
    path: &str,
    submission: Option<&(String, &Value)>,
    fields: &CheckinFields<'_>,
) -> Result<ImportCheckin, Problem> {
    let submitted_at = millis(
        text(check_in, "checked_in_at"),
        &format!("{path}/checked_in_at"),
    )?;
    let mut values = MetricValues::new();
    let mut notes = Vec::new();
    if let Some((submission_path, submission)) = submission {
        for (i, answer) in submission["answers"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let answer_path = format!("{submission_path}/answers/{i}");
            if text(answer, "field_id") == "field:feedback" {
                notes.insert(0, answer_texts(&answer["value"]).join(", "));
                continue;
            }
            match metric_of(answer, fields) {
                Some(metric) => {
                    let si = metric.unit(Units::Metric);
                    // A bare number is in the answer's unit, else its field's, else SI.
                    let unit = answer["unit"]
                        .as_str()
                        .or_else(|| fields.get(text(answer, "field_id")).and_then(|f| f.unit));
                    let value = match (&answer["value"], unit) {
                        (bare @ (Value::Number(_) | Value::String(_)), Some(unit)) => {
                            let number = answer_texts(bare).join("");
                            let number = number.trim().parse::<f64>().ok();
                            number.and_then(|n| {
                                measurement(&serde_json::json!({"value": n, "unit": unit}), si)
                            })
                        }
                        (value, _) => measurement(value, si),
                    }
                    .ok_or_else(|| {
                        Problem::at(&answer_path, format!("{} must be a number", metric.label()))
                    })?;
                    let parsed = metric
                        .parse(&number_text(value), Units::Metric)
                        .map_err(|e| refused(&answer_path, e))?;
                    if let Some(value) = parsed {
                        values.insert(metric, value);
                    }
                }
                None => {
                    let label = answer_label(answer, fields).unwrap_or(text(answer, "field_id"));
                    let value = answer_texts(&answer["value"]).join(", ");
                    if !value.is_empty() {
                        notes.push(format!("{label}: {value}"));
                    }
                }
            }
        }
    }
    let feedback =
        LongText::parse(&notes.join("\n"), "The check-in's note").map_err(|e| refused(path, e))?;
    Ok(ImportCheckin {
        submitted_at,
        values,
        feedback,
    })
}

fn field_type(fcds: &str) -> &'static str {
    match fcds {
        "textarea" => "long_text",
        "number" | "scale" | "measurement" => "number",
        "date" => "date",
        "boolean" => "yes_no",
        "single_choice" => "single_choice",
        "multiple_choice" => "multi_choice",
        "rating" => "rating",
        "section" => "heading",
        // text, time, unknown
        _ => "text",
    }
}

fn form_kind(fcds: &str) -> &'static str {
    match fcds {
        "intake" => "intake",
        "check_in" => "checkin",
        _ => "questionnaire",
    }
}

/// A form template as our definition, and the template's field ids in the order of its fields.
fn form_definition(template: &Value, path: &str) -> Result<(FormDefinition, Vec<String>), Problem> {
    let mut fields: Vec<(i64, usize, &Value)> = template["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, f)| (f["order"].as_i64().unwrap_or(i as i64), i, f))
        .collect();
    fields.sort_by_key(|(order, i, _)| (*order, *i));
    let drafts = fields
        .iter()
        .map(|(_, _, f)| FieldDraft {
            id: text(f, "id").trim_start_matches("field:").to_owned(),
            label: text(f, "label").to_owned(),
            help: String::new(),
            required: f["required"].as_bool().unwrap_or(false),
            field_type: field_type(text(f, "field_type")).to_owned(),
            min: f["min_value"].as_f64().map(number_text).unwrap_or_default(),
            max: f["max_value"].as_f64().map(number_text).unwrap_or_default(),
            unit: text(f, "unit").to_owned(),
            options: f["options"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        })
        .collect();
    let draft = FormDraft {
        name: text(template, "name").to_owned(),
        kind: form_kind(text(template, "form_type")).to_owned(),
        description: text(template, "description").to_owned(),
        fields: drafts,
    };
    let definition = draft.parse().map_err(|e| refused(path, e))?;
    let ids = fields
        .iter()
        .map(|(_, _, f)| text(f, "id").to_owned())
        .collect();
    Ok((definition, ids))
}

/// A submission's answers against the definition (`ids` maps the package's field ids to ours
/// by position).
fn form_answers(
    definition: &FormDefinition,
    ids: &[String],
    submission: &Value,
    path: &str,
) -> Result<Answers, Problem> {
    let mut raw = RawAnswers::new();
    for (i, answer) in submission["answers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field_id = text(answer, "field_id");
        let Some(position) = ids.iter().position(|id| id == field_id) else {
            return Err(Problem::at(
                format!("{path}/answers/{i}/field_id"),
                "the form has no such field",
            ));
        };
        raw.entry(definition.fields[position].id.clone())
            .or_default()
            .extend(answer_texts(&answer["value"]));
    }
    definition.parse_answers(&raw).map_err(|e| refused(path, e))
}

/// The package's records by id, with their paths.
type ById<'a> = BTreeMap<&'a str, (String, &'a Value)>;

fn by_id(list: Vec<(String, &Value)>) -> ById<'_> {
    list.into_iter()
        .map(|(path, record)| (text(record, "id"), (path, record)))
        .collect()
}

fn meal_plan(plan: &Value, path: &str) -> Result<(String, MealPlan), Problem> {
    let target = |key: &str| {
        plan["targets"][key]
            .as_f64()
            .map(number_text)
            .unwrap_or_default()
    };
    let draft = MealPlanDraft {
        notes: String::new(),
        target_protein: target("protein_g"),
        target_carbs: target("carbohydrates_g"),
        target_fat: target("fat_g"),
        target_kcal: target("calories_kcal"),
        days: Vec::new(),
    };
    let name = parse_plan_name(text(plan, "name")).map_err(|e| refused(path, e))?;
    Ok((name, draft.parse().map_err(|e| refused(path, e))?))
}

/// Seconds in a duration.
fn seconds(duration: &Value) -> Option<f64> {
    let value = duration["value"].as_f64()?;
    Some(match text(duration, "unit") {
        "minutes" => value * 60.0,
        "hours" => value * 3600.0,
        _ => value,
    })
}

fn exercise(record: &Value) -> ExerciseDraft {
    let p = &record["prescription"];
    let (load, load_unit) = match p.get("load") {
        Some(load) => (
            load["value"].as_f64().map(number_text).unwrap_or_default(),
            match text(load, "unit") {
                "lb" | "lbs" => "lb",
                "percent_1rm" | "%1rm" => "percent_1rm",
                "bodyweight_plus_kg" | "bodyweight" => "bodyweight",
                _ => "kg",
            }
            .to_owned(),
        ),
        None => (String::new(), String::new()),
    };
    let (effort_scale, effort) = match (p["rpe"].as_f64(), p["rir"].as_f64()) {
        (Some(rpe), _) => ("rpe", number_text(rpe)),
        (None, Some(rir)) => ("rir", number_text(rir)),
        _ => ("", String::new()),
    };
    ExerciseDraft {
        name: text(&record["exercise"], "name").to_owned(),
        sets: p["sets"].as_f64().map(number_text).unwrap_or_default(),
        reps: text(p, "reps").to_owned(),
        load,
        load_unit,
        tempo: text(p, "tempo").to_owned(),
        effort_scale: effort_scale.to_owned(),
        effort,
        rest_secs: p
            .get("rest")
            .and_then(seconds)
            .map(number_text)
            .unwrap_or_default(),
        notes: text(record, "notes").to_owned(),
    }
}

/// A package record with its JSON path.
type Record<'a> = (String, &'a Value);

/// Records grouped by the id one of their fields names (a client's check-ins, a plan's
/// sessions), each group in package order: one pass, so no record is looked for twice.
fn grouped<'a>(records: &'a [Record<'a>], field: &str) -> BTreeMap<&'a str, Vec<&'a Record<'a>>> {
    let mut groups: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for record in records {
        groups
            .entry(text(record.1, field))
            .or_default()
            .push(record);
    }
    groups
}

/// Orders records by their `order` (then `day_index`, then place in the package).
fn in_order<'a>(mut items: Vec<&'a Record<'a>>) -> Vec<&'a Record<'a>> {
    items.sort_by_key(|(path, r)| {
        (
            r["order"].as_i64().unwrap_or(i64::MAX),
            r["day_index"].as_i64().unwrap_or(i64::MAX),
            path.rsplit('/')
                .next()
                .and_then(|i| i.parse::<usize>().ok()),
        )
    });
    items
}

fn workout_plan(
    plan: &Value,
    path: &str,
    sessions: &BTreeMap<&str, Vec<&Record<'_>>>,
    exercises: &BTreeMap<&str, Vec<&Record<'_>>>,
) -> Result<(String, WorkoutPlan), Problem> {
    let none = Vec::new();
    let mine = in_order(sessions.get(text(plan, "id")).unwrap_or(&none).clone());
    let mut drafts = Vec::new();
    for (_, session) in mine {
        // Our export writes a session's day as the first line of its notes.
        let notes = text(session, "notes");
        let (day, notes) = match notes.strip_prefix("Day: ") {
            Some(rest) => match rest.split_once('\n') {
                Some((day, notes)) => (day, notes),
                None => (rest, ""),
            },
            None => ("", notes),
        };
        let session_exercises = exercises.get(text(session, "id")).unwrap_or(&none);
        drafts.push(WorkoutSessionDraft {
            name: text(session, "name").to_owned(),
            day: day.to_owned(),
            warm_up: text(session, "warmup").to_owned(),
            cool_down: text(session, "cooldown").to_owned(),
            notes: notes.to_owned(),
            exercises: in_order(session_exercises.clone())
                .into_iter()
                .map(|(_, e)| exercise(e))
                .collect(),
        });
    }
    let draft = WorkoutPlanDraft {
        notes: text(plan, "notes").to_owned(),
        sessions: drafts,
    };
    let name = parse_plan_name(text(plan, "name")).map_err(|e| refused(path, e))?;
    Ok((name, draft.parse().map_err(|e| refused(path, e))?))
}

/// Collects problems, keeping the first [`PROBLEMS_MAX`].
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn keep<T>(&mut self, result: Result<T, Problem>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                if self.0.len() < PROBLEMS_MAX {
                    self.0.push(problem);
                }
                None
            }
        }
    }
}

/// Parses each record once, however many clients it is given to; a refusal is reported once.
struct Parsed<'a, T>(BTreeMap<&'a str, Option<T>>);

impl<'a, T: Clone> Parsed<'a, T> {
    fn get(
        &mut self,
        id: &'a str,
        problems: &mut Problems,
        parse: impl FnOnce() -> Result<T, Problem>,
    ) -> Option<T> {
        self.0
            .entry(id)
            .or_insert_with(|| problems.keep(parse()))
            .clone()
    }
}

/// The sections of a package that hold records with ids, by path.
const SECTIONS: [(&str, Option<&str>); 9] = [
    ("clients", Some("clients")),
    ("clients", Some("client_assignments")),
    ("forms", Some("form_templates")),
    ("forms", Some("form_submissions")),
    ("check_ins", None),
    ("nutrition", Some("meal_plans")),
    ("training", Some("workout_plans")),
    ("training", Some("workout_sessions")),
    ("training", Some("workout_session_exercises")),
];

/// Reads a schema-valid package (see the module docs), or the first problems by path.
pub fn read(package: &Value, now: i64) -> Result<ImportPackage, Vec<Problem>> {
    let source = package["manifest"]["source_platform"]["name"]
        .as_str()
        .unwrap_or("unknown")
        .trim()
        .to_lowercase()
        .chars()
        .take(60)
        .collect::<String>();
    let key = |id: &str| format!("{source}/{id}");
    let mut problems = Problems::default();

    let [clients, assignments, templates, submissions, check_ins, meal_plans, workout_plans, sessions, exercises] =
        SECTIONS.map(|(section, list)| records(package, section, list));
    if clients.len() > CLIENTS_MAX {
        return Err(vec![Problem::at(
            "/clients/clients",
            format!("at most {CLIENTS_MAX} clients in one import"),
        )]);
    }
    // An id names one record in the whole package: a repeated one would make two records one
    // source key.
    let mut first_use: BTreeMap<&str, &str> = BTreeMap::new();
    for list in [
        &clients,
        &assignments,
        &templates,
        &submissions,
        &check_ins,
        &meal_plans,
        &workout_plans,
        &sessions,
        &exercises,
    ] {
        for (path, record) in list {
            let id = text(record, "id");
            if let Some(first) = first_use.insert(id, path) {
                problems.keep::<()>(Err(Problem::at(
                    format!("{path}/id"),
                    format!("\"{id}\" is also the id of {first}"),
                )));
            }
        }
    }
    if !problems.0.is_empty() {
        return Err(problems.0);
    }
    let templates_by_id = by_id(templates.clone());
    let submissions_by_id = by_id(submissions.clone());
    let meal_plans_by_id = by_id(meal_plans);
    let workout_plans_by_id = by_id(workout_plans);
    let check_ins_of = grouped(&check_ins, "client_id");
    let assignments_of = grouped(&assignments, "client_id");
    let submissions_of = grouped(&submissions, "client_id");
    let sessions_of = grouped(&sessions, "workout_plan_id");
    let exercises_of = grouped(&exercises, "workout_session_id");
    let none = Vec::new();

    // Submissions that are check-ins, and the templates they answer: not forms of their own.
    let checkin_submissions: BTreeSet<&str> = check_ins
        .iter()
        .filter_map(|(_, c)| c["form_submission_id"].as_str())
        .collect();
    let checkin_templates: BTreeSet<&str> = checkin_submissions
        .iter()
        .filter_map(|id| submissions_by_id.get(id))
        .map(|(_, s)| text(s, "form_template_id"))
        .collect();
    let mut checkin_fields = CheckinFields::new();
    for id in &checkin_templates {
        if let Some((_, template)) = templates_by_id.get(id) {
            for field in template["fields"].as_array().into_iter().flatten() {
                let label = text(field, "label");
                let unit = field["unit"].as_str();
                // A later template's label wins; a unit, once known, stays unless replaced.
                checkin_fields
                    .entry(text(field, "id"))
                    .and_modify(|known| {
                        known.label = label;
                        known.unit = unit.or(known.unit);
                    })
                    .or_insert(CheckinField { label, unit });
            }
        }
    }
    // Our own check-in template is how our check-ins travel, never a form to keep.
    let mut used_templates: BTreeSet<&str> = checkin_templates.clone();
    used_templates.insert(CHECKIN_TEMPLATE);
    let mut used_plans: BTreeSet<&str> = BTreeSet::new();
    let mut definitions = Parsed(BTreeMap::new());
    let mut meal_bodies = Parsed(BTreeMap::new());
    let mut workout_bodies = Parsed(BTreeMap::new());
    let mut parsed = ImportPackage {
        settings: coach_settings(package),
        ..ImportPackage::default()
    };

    for (path, record) in &clients {
        let client_id = text(record, "id");
        let Some((profile, archived)) = problems.keep(client_profile(record, path)) else {
            continue;
        };
        let mut client = ImportClient {
            source_key: key(client_id),
            path: path.clone(),
            profile,
            archived,
            checkins: Vec::new(),
            forms: Vec::new(),
            meal_plans: Vec::new(),
            workout_plans: Vec::new(),
        };
        for (check_in_path, check_in) in check_ins_of.get(client_id).unwrap_or(&none) {
            let submission = check_in["form_submission_id"]
                .as_str()
                .and_then(|id| submissions_by_id.get(id));
            let fields = &checkin_fields;
            if let Some(parsed) =
                problems.keep(checkin(check_in, check_in_path, submission, fields))
            {
                client.checkins.push(Sourced {
                    source_key: key(text(check_in, "id")),
                    record: parsed,
                });
            }
        }
        let my_submissions: Vec<&Record> = submissions_of
            .get(client_id)
            .unwrap_or(&none)
            .iter()
            .copied()
            .filter(|(_, s)| !checkin_submissions.contains(text(s, "id")))
            .collect();
        // Forms given to the client, answered or not, then answers to forms never assigned.
        let mut given: Vec<(String, &str, Option<i64>)> = Vec::new();
        for (assignment_path, assignment) in assignments_of.get(client_id).unwrap_or(&none) {
            let record_id = text(assignment, "assigned_record_id");
            let source_key = key(text(assignment, "id"));
            let active = !matches!(text(assignment, "status"), "inactive" | "completed");
            match text(assignment, "assignment_type") {
                "check_in_form" | "form_template" | "intake_form" => {
                    let starts = assignment["starts_at"]
                        .as_str()
                        .map(|at| millis(at, &format!("{assignment_path}/starts_at")))
                        .transpose();
                    if let Some(starts) = problems.keep(starts) {
                        given.push((source_key, record_id, starts));
                    }
                }
                "meal_plan" => {
                    used_plans.insert(record_id);
                    let Some((plan_path, plan)) = meal_plans_by_id.get(record_id) else {
                        continue;
                    };
                    let body =
                        meal_bodies.get(record_id, &mut problems, || meal_plan(plan, plan_path));
                    if let Some((name, body)) = body {
                        let active = active
                            && text(plan, "status") != "inactive"
                            && !client.meal_plans.iter().any(|p| p.active);
                        client.meal_plans.push(ImportPlan {
                            source_key,
                            name,
                            body,
                            active,
                        });
                    }
                }
                "workout_plan" => {
                    used_plans.insert(record_id);
                    let Some((plan_path, plan)) = workout_plans_by_id.get(record_id) else {
                        continue;
                    };
                    let body = workout_bodies.get(record_id, &mut problems, || {
                        workout_plan(plan, plan_path, &sessions_of, &exercises_of)
                    });
                    if let Some((name, body)) = body {
                        let active = active && !client.workout_plans.iter().any(|p| p.active);
                        client.workout_plans.push(ImportPlan {
                            source_key,
                            name,
                            body,
                            active,
                        });
                    }
                }
                _ => {}
            }
        }
        for (submission_path, submission) in &my_submissions {
            let template_id = text(submission, "form_template_id");
            if given.iter().any(|(_, t, _)| *t == template_id) {
                continue;
            }
            let submitted = millis(
                text(submission, "submitted_at"),
                &format!("{submission_path}/submitted_at"),
            );
            if let Some(at) = problems.keep(submitted) {
                given.push((key(text(submission, "id")), template_id, Some(at)));
            }
        }
        for (source_key, template_id, assigned_at) in given {
            let Some((template_path, template)) = templates_by_id.get(template_id) else {
                problems.keep::<()>(Err(Problem::at(
                    &client.path,
                    format!("form template {template_id} is not in the package"),
                )));
                continue;
            };
            used_templates.insert(template_id);
            let definition = definitions.get(template_id, &mut problems, || {
                form_definition(template, template_path)
            });
            let Some((definition, ids)) = definition else {
                continue;
            };
            let answered = my_submissions
                .iter()
                .find(|(_, s)| text(s, "form_template_id") == template_id);
            let (answers, submitted_at) = match answered {
                Some((submission_path, submission)) => {
                    let answers = form_answers(&definition, &ids, submission, submission_path);
                    let at = millis(
                        text(submission, "submitted_at"),
                        &format!("{submission_path}/submitted_at"),
                    );
                    match (problems.keep(answers), problems.keep(at)) {
                        (Some(answers), Some(at)) => (answers, Some(at)),
                        _ => continue,
                    }
                }
                None => (Answers::new(), None),
            };
            client.forms.push(Sourced {
                source_key,
                record: ImportForm {
                    definition,
                    answers,
                    assigned_at: assigned_at.or(submitted_at).unwrap_or(now),
                    submitted_at,
                },
            });
        }
        parsed.clients.push(client);
    }

    // What no client uses: the workspace's own templates and library.
    for (id, (path, template)) in &templates_by_id {
        if !used_templates.contains(id) {
            if let Some((definition, _)) = problems.keep(form_definition(template, path)) {
                parsed.forms.push(Sourced {
                    source_key: key(id),
                    record: definition,
                });
            }
        }
    }
    for (id, (path, plan)) in &meal_plans_by_id {
        if !used_plans.contains(id) {
            if let Some((name, body)) = problems.keep(meal_plan(plan, path)) {
                parsed.meal_templates.push(ImportPlan {
                    source_key: key(id),
                    name,
                    body,
                    active: false,
                });
            }
        }
    }
    for (id, (path, plan)) in &workout_plans_by_id {
        if !used_plans.contains(id) {
            let body = workout_plan(plan, path, &sessions_of, &exercises_of);
            if let Some((name, body)) = problems.keep(body) {
                parsed.workout_templates.push(ImportPlan {
                    source_key: key(id),
                    name,
                    body,
                    active: false,
                });
            }
        }
    }
    if problems.0.is_empty() {
        Ok(parsed)
    } else {
        Err(problems.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn health_context_goes_back_into_its_fields() {
        let [goals, medical, diet, injuries, medications] =
            health_sections("Goals: Run 10k\nInjuries: Left knee\nRight ankle\nMedications: None");
        assert_eq!(goals, "Run 10k");
        assert_eq!(injuries, "Left knee\nRight ankle");
        assert_eq!(medications, "None");
        assert_eq!((medical.as_str(), diet.as_str()), ("", ""));
        // Another platform's free text: medical conditions.
        let [goals, medical, ..] = health_sections("Asthma; mild");
        assert_eq!((goals.as_str(), medical.as_str()), ("", "Asthma; mild"));
    }

    #[test]
    fn coach_settings_come_from_settings_then_profile() {
        let package = json!({"coach": {
            "profile": {"id": "coach:a", "business_name": "Old Name", "timezone": "Europe/Paris"},
            "settings": {"id": "s:a", "brand": {"business_name": "Peak"}, "units": {"height": "in"}},
        }});
        let settings = coach_settings(&package);
        assert_eq!(settings.brand_name.unwrap().as_str(), "Peak");
        assert_eq!(settings.units, Some(Units::Imperial));
        assert_eq!(settings.timezone.unwrap().as_str(), "Europe/Paris");
        // No coach section, or values we cannot take: nothing to set.
        assert_eq!(coach_settings(&json!({})), ImportSettings::default());
        let odd = json!({"coach": {"settings": {"id": "s", "units": {"weight": "stone"},
            "timezone": "Mars/Base", "brand": {"business_name": "x".repeat(500)}}}});
        assert_eq!(coach_settings(&odd), ImportSettings::default());
    }

    #[test]
    fn metrics_are_found_by_id_or_label() {
        let fields: CheckinFields = [
            ("f:w", "Body weight"),
            ("f:bf", "BODY FAT"),
            ("f:x", "Mood?"),
        ]
        .into_iter()
        .map(|(id, label)| (id, CheckinField { label, unit: None }))
        .collect();
        let by = |field: &str| metric_of(&json!({"field_id": field}), &fields);
        assert_eq!(by("field:weight"), Some(Metric::Weight));
        assert_eq!(by("f:w"), Some(Metric::Weight));
        assert_eq!(by("f:bf"), Some(Metric::BodyFat));
        assert_eq!(by("f:x"), Some(Metric::Mood));
        assert_eq!(by("f:unknown"), None);
    }

    #[test]
    fn measurements_convert_to_si() {
        let kg = measurement(&json!({"value": 170, "unit": "lb"}), "kg").unwrap();
        assert!((kg - 77.11).abs() < 0.01);
        assert_eq!(
            measurement(&json!({"value": 1.8, "unit": "m"}), "cm"),
            Some(180.0)
        );
        assert_eq!(measurement(&json!(80), "kg"), Some(80.0));
        assert_eq!(
            measurement(&json!({"value": 3, "unit": "stone"}), "kg"),
            None
        );
    }
}
