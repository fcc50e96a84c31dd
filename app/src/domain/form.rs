//! Forms: the coach builds a template from typed fields; the client's answers are parsed against
//! the exact definition they were given (a snapshot), so editing a template later never changes
//! what an earlier answer meant.

use super::{bounded_text, format_number, CalendarDate, LongText};
use crate::AppError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    Intake,
    Checkin,
    Questionnaire,
}

impl FormKind {
    pub const ALL: [FormKind; 3] = [Self::Intake, Self::Checkin, Self::Questionnaire];

    pub fn key(self) -> &'static str {
        match self {
            Self::Intake => "intake",
            Self::Checkin => "checkin",
            Self::Questionnaire => "questionnaire",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Intake => "Intake",
            Self::Checkin => "Check-in",
            Self::Questionnaire => "Questionnaire",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|k| k.key() == raw.trim())
            .ok_or_else(|| {
                AppError::invalid("Form type must be \"intake\", \"checkin\" or \"questionnaire\".")
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    LongText,
    Number,
    Date,
    YesNo,
    SingleChoice,
    MultiChoice,
    /// 1 to 10.
    Rating,
    /// A section heading: shown, never answered.
    Heading,
}

impl FieldType {
    pub const ALL: [FieldType; 9] = [
        Self::Text,
        Self::LongText,
        Self::Number,
        Self::Date,
        Self::YesNo,
        Self::SingleChoice,
        Self::MultiChoice,
        Self::Rating,
        Self::Heading,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::LongText => "long_text",
            Self::Number => "number",
            Self::Date => "date",
            Self::YesNo => "yes_no",
            Self::SingleChoice => "single_choice",
            Self::MultiChoice => "multi_choice",
            Self::Rating => "rating",
            Self::Heading => "heading",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "Short text",
            Self::LongText => "Long text",
            Self::Number => "Number",
            Self::Date => "Date",
            Self::YesNo => "Yes / no",
            Self::SingleChoice => "Single choice",
            Self::MultiChoice => "Multiple choice",
            Self::Rating => "Rating 1-10",
            Self::Heading => "Section heading",
        }
    }

    fn parse(raw: &str, location: &str) -> Result<Self, AppError> {
        Self::ALL
            .into_iter()
            .find(|t| t.key() == raw.trim())
            .ok_or_else(|| AppError::invalid(format!("{location}: unknown field type.")))
    }

    pub fn has_options(self) -> bool {
        matches!(self, Self::SingleChoice | Self::MultiChoice)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FormField {
    /// Stable within one definition; answers are keyed by it.
    pub id: String,
    pub label: String,
    pub help: String,
    pub required: bool,
    pub field_type: FieldType,
    /// Number fields only.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: String,
    /// Choice fields only.
    pub options: Vec<String>,
}

impl FormField {
    /// Parses this field's answer (`None`: not answered, and it need not be).
    fn parse_answer(&self, raw: Option<&Vec<String>>) -> Result<Option<Answer>, AppError> {
        let label = &self.label;
        let values: Vec<&str> = raw
            .map(|v| {
                v.iter()
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() {
            if self.required {
                return Err(AppError::invalid(format!("“{label}” is required.")));
            }
            return Ok(None);
        }
        if values.len() > 1 && self.field_type != FieldType::MultiChoice {
            return Err(AppError::invalid(format!("“{label}” takes one answer.")));
        }
        let value = values[0];
        let answer = match self.field_type {
            FieldType::Text => Answer::Text(bounded_text(value, &format!("“{label}”"), true, 500)?),
            FieldType::LongText => Answer::Text(
                LongText::parse(value, &format!("“{label}”"))?
                    .as_str()
                    .to_owned(),
            ),
            FieldType::Number => {
                let n: f64 = value
                    .replace(',', ".")
                    .parse()
                    .ok()
                    .filter(|n: &f64| n.is_finite())
                    .ok_or_else(|| AppError::invalid(format!("“{label}” must be a number.")))?;
                let unit = if self.unit.is_empty() {
                    String::new()
                } else {
                    format!(" {}", self.unit)
                };
                match (self.min, self.max) {
                    (Some(lo), Some(hi)) if n < lo || n > hi => {
                        return Err(AppError::invalid(format!(
                            "“{label}” must be between {}{unit} and {}{unit}.",
                            format_number(lo),
                            format_number(hi)
                        )))
                    }
                    (Some(lo), None) if n < lo => {
                        return Err(AppError::invalid(format!(
                            "“{label}” must be at least {}{unit}.",
                            format_number(lo)
                        )))
                    }
                    (None, Some(hi)) if n > hi => {
                        return Err(AppError::invalid(format!(
                            "“{label}” must be at most {}{unit}.",
                            format_number(hi)
                        )))
                    }
                    _ => Answer::Number(n),
                }
            }
            FieldType::Date => Answer::Date(
                CalendarDate::parse(value, &format!("“{label}”"))?
                    .as_str()
                    .to_owned(),
            ),
            FieldType::YesNo => match value {
                "yes" | "true" => Answer::YesNo(true),
                "no" | "false" => Answer::YesNo(false),
                _ => return Err(AppError::invalid(format!("“{label}” must be yes or no."))),
            },
            FieldType::SingleChoice => Answer::Choice(self.option(value)?),
            FieldType::MultiChoice => {
                let mut chosen = Vec::new();
                for value in &values {
                    let option = self.option(value)?;
                    if !chosen.contains(&option) {
                        chosen.push(option);
                    }
                }
                Answer::Choices(chosen)
            }
            FieldType::Rating => match value.parse::<u8>() {
                Ok(r) if (1..=10).contains(&r) => Answer::Rating(r),
                _ => {
                    return Err(AppError::invalid(format!(
                        "“{label}” must be a whole number from 1 to 10."
                    )))
                }
            },
            FieldType::Heading => return Ok(None),
        };
        Ok(Some(answer))
    }

    fn option(&self, value: &str) -> Result<String, AppError> {
        self.options
            .iter()
            .find(|o| o.as_str() == value)
            .cloned()
            .ok_or_else(|| {
                AppError::invalid(format!(
                    "“{}”: “{}” is not one of the options.",
                    self.label,
                    value.chars().take(60).collect::<String>()
                ))
            })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FormDefinition {
    pub name: String,
    pub kind: FormKind,
    pub description: String,
    pub fields: Vec<FormField>,
}

/// A field as the builder edits it. `options` holds one option per line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct FieldDraft {
    pub id: String,
    pub label: String,
    pub help: String,
    pub required: bool,
    pub field_type: String,
    pub min: String,
    pub max: String,
    pub unit: String,
    pub options: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct FormDraft {
    pub name: String,
    pub kind: String,
    pub description: String,
    pub fields: Vec<FieldDraft>,
}

const MAX_FIELDS: usize = 100;
const MAX_OPTIONS: usize = 30;

fn field_location(index: usize, label: &str) -> String {
    if label.trim().is_empty() {
        format!("Field {}", index + 1)
    } else {
        format!("Field {} ({})", index + 1, label.trim())
    }
}

fn located(location: &str, err: AppError) -> AppError {
    AppError::invalid(format!("{location}: {err}"))
}

fn optional_bound(raw: &str, what: &str, location: &str) -> Result<Option<f64>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(Some)
        .ok_or_else(|| AppError::invalid(format!("{location}: {what} must be a number.")))
}

/// A field id: kept when the builder sent a well-formed one, otherwise made up.
fn usable_id(raw: &str) -> Option<&str> {
    let id = raw.trim();
    let ok = !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then_some(id)
}

impl FormDraft {
    pub fn parse(&self) -> Result<FormDefinition, AppError> {
        let name = bounded_text(&self.name, "Form name", true, 120)?;
        let kind = FormKind::parse(&self.kind)?;
        let description = LongText::parse(&self.description, "Description")?
            .as_str()
            .to_owned();
        if self.fields.len() > MAX_FIELDS {
            return Err(AppError::invalid(format!(
                "At most {MAX_FIELDS} fields in a form."
            )));
        }
        let mut ids = BTreeSet::new();
        let mut fields = Vec::with_capacity(self.fields.len());
        for (n, draft) in self.fields.iter().enumerate() {
            let location = field_location(n, &draft.label);
            let field_type = FieldType::parse(&draft.field_type, &location)?;
            let label = draft.label.trim();
            if label.is_empty() {
                return Err(AppError::invalid(format!(
                    "{location}: a label is required."
                )));
            }
            let label =
                bounded_text(label, "The label", true, 200).map_err(|e| located(&location, e))?;
            let help = bounded_text(&draft.help, "The help text", false, 300)
                .map_err(|e| located(&location, e))?;
            let id = match usable_id(&draft.id) {
                Some(id) if !ids.contains(id) => id.to_owned(),
                _ => (1..)
                    .map(|k| format!("f{k}"))
                    .find(|id| !ids.contains(id) && !self.fields.iter().any(|f| f.id == *id))
                    .unwrap_or_default(),
            };
            ids.insert(id.clone());
            let (min, max, unit) = if field_type == FieldType::Number {
                let min = optional_bound(&draft.min, "The minimum", &location)?;
                let max = optional_bound(&draft.max, "The maximum", &location)?;
                if let (Some(lo), Some(hi)) = (min, max) {
                    if lo > hi {
                        return Err(AppError::invalid(format!(
                            "{location}: the minimum must not be above the maximum."
                        )));
                    }
                }
                let unit = bounded_text(&draft.unit, "The unit", false, 20)
                    .map_err(|e| located(&location, e))?;
                (min, max, unit)
            } else {
                (None, None, String::new())
            };
            let options = if field_type.has_options() {
                let mut options: Vec<String> = Vec::new();
                for line in draft.options.lines() {
                    let option = bounded_text(line, "An option", false, 100)
                        .map_err(|e| located(&location, e))?;
                    if !option.is_empty() && !options.contains(&option) {
                        options.push(option);
                    }
                }
                if options.is_empty() {
                    return Err(AppError::invalid(format!(
                        "{location}: give at least one option, one per line."
                    )));
                }
                if options.len() > MAX_OPTIONS {
                    return Err(AppError::invalid(format!(
                        "{location}: at most {MAX_OPTIONS} options."
                    )));
                }
                options
            } else {
                Vec::new()
            };
            fields.push(FormField {
                id,
                label,
                help,
                required: draft.required && field_type != FieldType::Heading,
                field_type,
                min,
                max,
                unit,
                options,
            });
        }
        Ok(FormDefinition {
            name,
            kind,
            description,
            fields,
        })
    }
}

/// One answer, typed by its field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    Text(String),
    Number(f64),
    Date(String),
    YesNo(bool),
    Choice(String),
    Choices(Vec<String>),
    Rating(u8),
}

impl Answer {
    /// The answer as a person reads it.
    pub fn display(&self, field: &FormField) -> String {
        match self {
            Self::Text(t) | Self::Date(t) | Self::Choice(t) => t.clone(),
            Self::Number(n) if field.unit.is_empty() => format_number(*n),
            Self::Number(n) => format!("{} {}", format_number(*n), field.unit),
            Self::YesNo(true) => "Yes".to_owned(),
            Self::YesNo(false) => "No".to_owned(),
            Self::Choices(c) => c.join(", "),
            Self::Rating(r) => format!("{r} / 10"),
        }
    }
}

/// Answers by field id; unanswered optional fields are absent.
pub type Answers = BTreeMap<String, Answer>;

/// What the client sent: values by field id (several for a multiple choice).
pub type RawAnswers = BTreeMap<String, Vec<String>>;

impl FormDefinition {
    /// Parses the client's answers against this definition: required fields must be answered,
    /// numbers within their range, choices among the options, and no field the form lacks.
    pub fn parse_answers(&self, raw: &RawAnswers) -> Result<Answers, AppError> {
        for id in raw.keys() {
            if !self.answerable().any(|f| f.id == *id) {
                return Err(AppError::invalid(format!(
                    "This form has no field \"{}\".",
                    id.chars().take(40).collect::<String>()
                )));
            }
        }
        let mut answers = Answers::new();
        for field in self.answerable() {
            if let Some(answer) = field.parse_answer(raw.get(&field.id))? {
                answers.insert(field.id.clone(), answer);
            }
        }
        Ok(answers)
    }

    /// Each field's error in `raw`, in the form's order, by field id: the same parser as the
    /// server's, run in the browser so that each error sits at its field before anything is sent.
    pub fn answer_errors(&self, raw: &RawAnswers) -> Vec<(String, String)> {
        self.answerable()
            .filter_map(|field| {
                let err = field.parse_answer(raw.get(&field.id)).err()?;
                Some((field.id.clone(), err.to_string()))
            })
            .collect()
    }

    /// The fields that take an answer (all but headings).
    fn answerable(&self) -> impl Iterator<Item = &FormField> {
        self.fields
            .iter()
            .filter(|f| f.field_type != FieldType::Heading)
    }

    /// The definition as the builder edits it.
    pub fn to_draft(&self) -> FormDraft {
        FormDraft {
            name: self.name.clone(),
            kind: self.kind.key().to_owned(),
            description: self.description.clone(),
            fields: self
                .fields
                .iter()
                .map(|f| FieldDraft {
                    id: f.id.clone(),
                    label: f.label.clone(),
                    help: f.help.clone(),
                    required: f.required,
                    field_type: f.field_type.key().to_owned(),
                    min: f.min.map(format_number).unwrap_or_default(),
                    max: f.max.map(format_number).unwrap_or_default(),
                    unit: f.unit.clone(),
                    options: f.options.join("\n"),
                })
                .collect(),
        }
    }

    /// (label, answer) for every answered field, in form order, headings included as
    /// `(heading, None)`.
    pub fn answered<'a>(&'a self, answers: &Answers) -> Vec<(&'a FormField, Option<String>)> {
        self.fields
            .iter()
            .filter(|f| f.field_type == FieldType::Heading || answers.contains_key(&f.id))
            .map(|f| (f, answers.get(&f.id).map(|a| a.display(f))))
            .collect()
    }
}

/// A form template in the coach's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FormSummary {
    pub id: String,
    pub name: String,
    pub kind: FormKind,
    pub field_count: usize,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FormDoc {
    pub id: String,
    pub definition: FormDefinition,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponseStatus {
    Pending,
    Submitted,
}

/// A form given to a client, with its answers once they are in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FormResponse {
    pub assignment_id: String,
    pub client_id: String,
    pub client_name: String,
    /// The template it came from, if it still exists.
    pub form_id: Option<String>,
    pub status: ResponseStatus,
    pub assigned_at: i64,
    pub submitted_at: Option<i64>,
    /// The definition as it was when assigned.
    pub definition: FormDefinition,
    pub answers: Answers,
}

/// A check-in's answers to the client's check-in form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FilledForm {
    pub definition: FormDefinition,
    pub answers: Answers,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(label: &str, field_type: &str, required: bool) -> FieldDraft {
        FieldDraft {
            label: label.into(),
            field_type: field_type.into(),
            required,
            ..Default::default()
        }
    }

    fn intake() -> FormDefinition {
        let mut weight = field("Goal weight", "number", true);
        weight.min = "30".into();
        weight.max = "300".into();
        weight.unit = "kg".into();
        let mut diet = field("Diet", "single_choice", true);
        diet.options = "Omnivore\nVegetarian\n\nVegan\nVegan".into();
        let mut sports = field("Sports", "multi_choice", false);
        sports.options = "Running\nCycling".into();
        FormDraft {
            name: "Intake".into(),
            kind: "intake".into(),
            description: String::new(),
            fields: vec![
                field("About you", "heading", true),
                weight,
                diet,
                sports,
                field("Injuries", "yes_no", false),
                field("Energy", "rating", false),
                field("Start", "date", false),
            ],
        }
        .parse()
        .unwrap()
    }

    fn raw(pairs: &[(&str, &[&str])]) -> RawAnswers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn a_definition_gets_ids_options_and_no_required_headings() {
        let form = intake();
        let ids: Vec<_> = form.fields.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["f1", "f2", "f3", "f4", "f5", "f6", "f7"]);
        assert!(!form.fields[0].required);
        assert_eq!(form.fields[2].options, ["Omnivore", "Vegetarian", "Vegan"]);
        assert_eq!(form.to_draft().parse().unwrap(), form);
    }

    #[test]
    fn answers_are_typed_and_checked() {
        let form = intake();
        let answers = form
            .parse_answers(&raw(&[
                ("f2", &["72.5"]),
                ("f3", &["Vegan"]),
                ("f4", &["Running", "Cycling", "Running"]),
                ("f5", &["no"]),
                ("f6", &["7"]),
                ("f7", &[""]),
            ]))
            .unwrap();
        assert_eq!(answers["f2"], Answer::Number(72.5));
        assert_eq!(answers["f2"].display(&form.fields[1]), "72.5 kg");
        assert_eq!(
            answers["f4"],
            Answer::Choices(vec!["Running".into(), "Cycling".into()])
        );
        assert!(!answers.contains_key("f7"));

        let refused =
            |pairs: &[(&str, &[&str])]| form.parse_answers(&raw(pairs)).unwrap_err().to_string();
        assert_eq!(refused(&[("f3", &["Vegan"])]), "“Goal weight” is required.");
        assert_eq!(
            refused(&[("f2", &["500"]), ("f3", &["Vegan"])]),
            "“Goal weight” must be between 30 kg and 300 kg."
        );
        assert_eq!(
            refused(&[("f2", &["70"]), ("f3", &["Carnivore"])]),
            "“Diet”: “Carnivore” is not one of the options."
        );
        assert_eq!(
            refused(&[("f2", &["70"]), ("f3", &["Vegan"]), ("f6", &["11"])]),
            "“Energy” must be a whole number from 1 to 10."
        );
        assert_eq!(
            refused(&[("f2", &["70"]), ("f3", &["Vegan"]), ("nope", &["x"])]),
            "This form has no field \"nope\"."
        );
    }

    #[test]
    fn each_fields_error_is_given_by_its_field_in_the_forms_order() {
        let form = intake();
        let errors = form.answer_errors(&raw(&[
            ("f6", &["0"]),
            ("f2", &["500"]),
            ("f4", &["Swimming"]),
            ("f5", &["no"]),
        ]));
        assert_eq!(
            errors,
            [
                ("f2", "“Goal weight” must be between 30 kg and 300 kg."),
                ("f3", "“Diet” is required."),
                ("f4", "“Sports”: “Swimming” is not one of the options."),
                ("f6", "“Energy” must be a whole number from 1 to 10."),
            ]
            .map(|(id, message)| (id.to_owned(), message.to_owned()))
        );
        // What the browser passes, the server takes.
        let fine = raw(&[("f2", &["70"]), ("f3", &["Vegan"])]);
        assert!(form.answer_errors(&fine).is_empty());
        assert!(form.parse_answers(&fine).is_ok());
    }

    #[test]
    fn bad_definitions_say_which_field() {
        let mut draft = intake().to_draft();
        draft.fields[2].options = " \n ".into();
        assert_eq!(
            draft.parse().unwrap_err().to_string(),
            "Field 3 (Diet): give at least one option, one per line."
        );
        let mut draft = intake().to_draft();
        draft.fields[1].label = " ".into();
        assert_eq!(
            draft.parse().unwrap_err().to_string(),
            "Field 2: a label is required."
        );
        let mut draft = intake().to_draft();
        draft.name = String::new();
        assert_eq!(
            draft.parse().unwrap_err().to_string(),
            "Form name is required."
        );
    }
}
