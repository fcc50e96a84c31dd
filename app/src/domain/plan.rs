//! Meal plans and workout plans. The builder edits a draft (the text the coach typed); parsing
//! turns it into a plan whose numbers are known good, with errors that say where the problem is.
//! The same parse runs in the browser (live totals and errors) and on the server (the rule).

use super::{bounded_text, LongText};
use crate::AppError;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::ops::Add;

/// A plan's name: required, one line.
pub fn parse_plan_name(raw: &str) -> Result<String, AppError> {
    bounded_text(raw, "Plan name", true, 120)
}

/// What is known about a plan, whatever its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanSummary {
    pub id: String,
    pub name: String,
    /// `None` for a template.
    pub client_id: Option<String>,
    /// The client's current plan of this kind (the one the portal shows).
    pub active: bool,
    /// The template it was copied from, if it still exists.
    pub template_name: Option<String>,
    pub updated_at: i64,
}

/// A whole plan: what is known about it plus its body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
// One schema per body (`MealPlanDoc`, `WorkoutPlanDoc`) instead of `PlanDoc` and `PlanDoc2`.
#[schemars(rename = "{B}Doc")]
pub struct PlanDoc<B> {
    pub summary: PlanSummary,
    /// The coach's brand (or name), as the client and the PDF show it.
    pub brand: String,
    /// Whose plan it is; `None` for a template.
    pub client_name: Option<String>,
    pub body: B,
}

/// Meal or workout: the stored kind key and the body type, so one store serves both.
pub trait PlanKind {
    const KEY: &'static str;
    type Body: Serialize + DeserializeOwned + Default + Clone;
    /// What the builder sends: text as typed.
    type Draft;
    fn parse(draft: &Self::Draft) -> Result<Self::Body, AppError>;
}

pub enum MealPlanKind {}
pub enum WorkoutPlanKind {}

impl PlanKind for MealPlanKind {
    const KEY: &'static str = "meal";
    type Body = MealPlan;
    type Draft = MealPlanDraft;
    fn parse(draft: &MealPlanDraft) -> Result<MealPlan, AppError> {
        draft.parse()
    }
}

impl PlanKind for WorkoutPlanKind {
    const KEY: &'static str = "workout";
    type Body = WorkoutPlan;
    type Draft = WorkoutPlanDraft;
    fn parse(draft: &WorkoutPlanDraft) -> Result<WorkoutPlan, AppError> {
        draft.parse()
    }
}

const MAX_NAME: usize = 120;
const MAX_DAYS: usize = 14;
const MAX_MEALS: usize = 12;
const MAX_FOODS: usize = 40;
const MAX_SESSIONS: usize = 14;
const MAX_EXERCISES: usize = 40;

/// A number as the builder shows it: no trailing zeros, at most two decimals.
pub fn format_number(value: f64) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let text = format!("{rounded:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// An optional number in `lo..=hi`; empty is `None`.
fn optional_number(raw: &str, what: &str, lo: f64, hi: f64) -> Result<Option<f64>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let value: f64 = raw
        .replace(',', ".")
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("{what} must be a number."))?;
    if value < 0.0 && lo >= 0.0 {
        return Err(format!("{what} must not be negative."));
    }
    if value < lo || value > hi {
        return Err(format!(
            "{what} must be between {} and {}.",
            format_number(lo),
            format_number(hi)
        ));
    }
    Ok(Some(value))
}

/// An optional whole number in `lo..=hi`; empty is `None`.
fn optional_count(raw: &str, what: &str, lo: u32, hi: u32) -> Result<Option<u32>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u32>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
        _ if raw.starts_with('-') => Err(format!("{what} must not be negative.")),
        _ => Err(format!("{what} must be a whole number from {lo} to {hi}.")),
    }
}

/// How an item is named in an error: its name, or its position when it has none yet.
fn place(kind: &str, index: usize, name: &str) -> String {
    if name.trim().is_empty() {
        format!("{kind} {}", index + 1)
    } else {
        format!("{kind} {} ({})", index + 1, name.trim())
    }
}

/// Prefixes an error with where it happened.
fn at<T>(location: &str, result: Result<T, String>) -> Result<T, AppError> {
    result.map_err(|what| AppError::invalid(format!("{location}: {what}")))
}

fn name(raw: &str, location: &str) -> Result<String, AppError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AppError::invalid(format!(
            "{location}: a name is required."
        )));
    }
    at(
        location,
        bounded_text(name, "The name", true, MAX_NAME).map_err(|e| e.to_string()),
    )
}

fn short_text(raw: &str, what: &str, location: &str, max: usize) -> Result<String, AppError> {
    at(
        location,
        bounded_text(raw, what, false, max).map_err(|e| e.to_string()),
    )
}

fn notes(raw: &str, location: &str) -> Result<String, AppError> {
    at(
        location,
        LongText::parse(raw, "Notes")
            .map(|t| t.as_str().to_owned())
            .map_err(|e| e.to_string()),
    )
}

fn at_most<T>(items: &[T], max: usize, what: &str) -> Result<(), AppError> {
    if items.len() > max {
        return Err(AppError::invalid(format!("At most {max} {what}.")));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Meal plans
// ---------------------------------------------------------------------------------------------

/// Grams of protein, carbohydrate and fat, and kilocalories; never negative.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Macros {
    pub protein_g: f64,
    pub carbs_g: f64,
    pub fat_g: f64,
    pub kcal: f64,
}

impl Add for Macros {
    type Output = Macros;
    fn add(self, other: Macros) -> Macros {
        Macros {
            protein_g: self.protein_g + other.protein_g,
            carbs_g: self.carbs_g + other.carbs_g,
            fat_g: self.fat_g + other.fat_g,
            kcal: self.kcal + other.kcal,
        }
    }
}

impl Macros {
    /// "P 30 g · C 45 g · F 10 g · 390 kcal"
    pub fn label(&self) -> String {
        format!(
            "P {} g · C {} g · F {} g · {} kcal",
            format_number(self.protein_g),
            format_number(self.carbs_g),
            format_number(self.fat_g),
            format_number(self.kcal.round())
        )
    }
}

/// Daily targets; any of them may be left open.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct MacroTargets {
    pub protein_g: Option<f64>,
    pub carbs_g: Option<f64>,
    pub fat_g: Option<f64>,
    pub kcal: Option<f64>,
}

impl MacroTargets {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// "P 160 g · 2400 kcal": only the targets that are set.
    pub fn label(&self) -> String {
        let parts: Vec<String> = [
            self.protein_g.map(|v| format!("P {} g", format_number(v))),
            self.carbs_g.map(|v| format!("C {} g", format_number(v))),
            self.fat_g.map(|v| format!("F {} g", format_number(v))),
            self.kcal.map(|v| format!("{} kcal", format_number(v))),
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.join(" · ")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Food {
    pub name: String,
    pub quantity: f64,
    pub unit: String,
    pub macros: Macros,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Meal {
    pub name: String,
    pub notes: String,
    pub foods: Vec<Food>,
}

impl Meal {
    pub fn totals(&self) -> Macros {
        self.foods
            .iter()
            .fold(Macros::default(), |sum, f| sum + f.macros)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct MealDay {
    pub name: String,
    pub notes: String,
    pub meals: Vec<Meal>,
}

impl MealDay {
    pub fn totals(&self) -> Macros {
        self.meals
            .iter()
            .fold(Macros::default(), |sum, m| sum + m.totals())
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct MealPlan {
    pub notes: String,
    pub targets: MacroTargets,
    pub days: Vec<MealDay>,
}

/// A food as typed. Empty macros count as 0; empty kcal is worked out from the macros.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct FoodDraft {
    pub name: String,
    pub quantity: String,
    pub unit: String,
    pub protein: String,
    pub carbs: String,
    pub fat: String,
    pub kcal: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct MealDraft {
    pub name: String,
    pub notes: String,
    pub foods: Vec<FoodDraft>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct MealDayDraft {
    pub name: String,
    pub notes: String,
    pub meals: Vec<MealDraft>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct MealPlanDraft {
    pub notes: String,
    pub target_protein: String,
    pub target_carbs: String,
    pub target_fat: String,
    pub target_kcal: String,
    pub days: Vec<MealDayDraft>,
}

const MAX_GRAMS: f64 = 5_000.0;
const MAX_KCAL: f64 = 50_000.0;

impl FoodDraft {
    fn parse(&self, location: &str) -> Result<Food, AppError> {
        let name = name(&self.name, location)?;
        let quantity = at(
            location,
            optional_number(&self.quantity, "Quantity", 0.0, 100_000.0),
        )?
        .filter(|q| *q > 0.0)
        .ok_or_else(|| AppError::invalid(format!("{location}: Quantity must be more than 0.")))?;
        let unit = short_text(&self.unit, "Unit", location, 20)?;
        let grams = |raw: &str, what: &str| {
            at(location, optional_number(raw, what, 0.0, MAX_GRAMS)).map(|v| v.unwrap_or(0.0))
        };
        let protein_g = grams(&self.protein, "Protein")?;
        let carbs_g = grams(&self.carbs, "Carbohydrates")?;
        let fat_g = grams(&self.fat, "Fat")?;
        let kcal = at(location, optional_number(&self.kcal, "Kcal", 0.0, MAX_KCAL))?
            .unwrap_or(4.0 * protein_g + 4.0 * carbs_g + 9.0 * fat_g);
        Ok(Food {
            name,
            quantity,
            unit,
            macros: Macros {
                protein_g,
                carbs_g,
                fat_g,
                kcal,
            },
        })
    }
}

impl MealPlanDraft {
    pub fn parse(&self) -> Result<MealPlan, AppError> {
        let target = |raw: &str, what: &str, max: f64| {
            at("Daily targets", optional_number(raw, what, 0.0, max))
        };
        let targets = MacroTargets {
            protein_g: target(&self.target_protein, "Protein", MAX_GRAMS)?,
            carbs_g: target(&self.target_carbs, "Carbohydrates", MAX_GRAMS)?,
            fat_g: target(&self.target_fat, "Fat", MAX_GRAMS)?,
            kcal: target(&self.target_kcal, "Kcal", MAX_KCAL)?,
        };
        at_most(&self.days, MAX_DAYS, "days in a meal plan")?;
        let mut days = Vec::with_capacity(self.days.len());
        for (d, day) in self.days.iter().enumerate() {
            let day_at = place("Day", d, &day.name);
            at_most(&day.meals, MAX_MEALS, "meals in a day")?;
            let mut meals = Vec::with_capacity(day.meals.len());
            for (m, meal) in day.meals.iter().enumerate() {
                let meal_at = format!("{day_at}, {}", place("meal", m, &meal.name));
                at_most(&meal.foods, MAX_FOODS, "foods in a meal")?;
                let foods = meal
                    .foods
                    .iter()
                    .enumerate()
                    .map(|(f, food)| {
                        food.parse(&format!("{meal_at}, {}", place("food", f, &food.name)))
                    })
                    .collect::<Result<_, _>>()?;
                meals.push(Meal {
                    name: name(&meal.name, &meal_at)?,
                    notes: notes(&meal.notes, &meal_at)?,
                    foods,
                });
            }
            days.push(MealDay {
                name: name(&day.name, &day_at)?,
                notes: notes(&day.notes, &day_at)?,
                meals,
            });
        }
        Ok(MealPlan {
            notes: notes(&self.notes, "Plan")?,
            targets,
            days,
        })
    }
}

/// A number typed so far, or 0: the builder's running totals must not wait for valid input.
fn lenient(raw: &str) -> f64 {
    raw.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .unwrap_or(0.0)
}

impl FoodDraft {
    /// The macros as typed so far, for running totals (kcal from the macros when empty).
    pub fn running_macros(&self) -> Macros {
        let (protein_g, carbs_g, fat_g) = (
            lenient(&self.protein),
            lenient(&self.carbs),
            lenient(&self.fat),
        );
        let kcal = if self.kcal.trim().is_empty() {
            4.0 * protein_g + 4.0 * carbs_g + 9.0 * fat_g
        } else {
            lenient(&self.kcal)
        };
        Macros {
            protein_g,
            carbs_g,
            fat_g,
            kcal,
        }
    }
}

impl MealDraft {
    pub fn running_totals(&self) -> Macros {
        self.foods
            .iter()
            .fold(Macros::default(), |sum, f| sum + f.running_macros())
    }
}

impl MealDayDraft {
    pub fn running_totals(&self) -> Macros {
        self.meals
            .iter()
            .fold(Macros::default(), |sum, m| sum + m.running_totals())
    }
}

impl MealPlanDraft {
    /// The daily targets as typed so far; unparseable ones count as not set.
    pub fn running_targets(&self) -> MacroTargets {
        let target = |raw: &str| optional_number(raw, "", 0.0, MAX_KCAL).ok().flatten();
        MacroTargets {
            protein_g: target(&self.target_protein),
            carbs_g: target(&self.target_carbs),
            fat_g: target(&self.target_fat),
            kcal: target(&self.target_kcal),
        }
    }
}

/// A day's totals against the daily targets: "P 120 / 150 g · C 200 g · F 60 g · 1850 / 2200 kcal".
pub fn totals_against(totals: Macros, targets: MacroTargets) -> String {
    let part = |label: &str, value: f64, target: Option<f64>, unit: &str| match target {
        Some(t) => format!(
            "{label}{} / {} {unit}",
            format_number(value),
            format_number(t)
        ),
        None => format!("{label}{} {unit}", format_number(value)),
    };
    [
        part("P ", totals.protein_g, targets.protein_g, "g"),
        part("C ", totals.carbs_g, targets.carbs_g, "g"),
        part("F ", totals.fat_g, targets.fat_g, "g"),
        part("", totals.kcal.round(), targets.kcal, "kcal"),
    ]
    .join(" · ")
}

fn optional_text(value: Option<f64>) -> String {
    value.map(format_number).unwrap_or_default()
}

impl MealPlan {
    /// The plan as the builder edits it.
    pub fn to_draft(&self) -> MealPlanDraft {
        MealPlanDraft {
            notes: self.notes.clone(),
            target_protein: optional_text(self.targets.protein_g),
            target_carbs: optional_text(self.targets.carbs_g),
            target_fat: optional_text(self.targets.fat_g),
            target_kcal: optional_text(self.targets.kcal),
            days: self
                .days
                .iter()
                .map(|day| MealDayDraft {
                    name: day.name.clone(),
                    notes: day.notes.clone(),
                    meals: day
                        .meals
                        .iter()
                        .map(|meal| MealDraft {
                            name: meal.name.clone(),
                            notes: meal.notes.clone(),
                            foods: meal
                                .foods
                                .iter()
                                .map(|food| FoodDraft {
                                    name: food.name.clone(),
                                    quantity: format_number(food.quantity),
                                    unit: food.unit.clone(),
                                    protein: format_number(food.macros.protein_g),
                                    carbs: format_number(food.macros.carbs_g),
                                    fat: format_number(food.macros.fat_g),
                                    kcal: format_number(food.macros.kcal),
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Workout plans
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadUnit {
    Kg,
    Lb,
    /// Percent of the one-repetition maximum.
    PercentOneRm,
    /// Bodyweight, plus any added load.
    Bodyweight,
}

impl LoadUnit {
    pub const ALL: [LoadUnit; 4] = [Self::Kg, Self::Lb, Self::PercentOneRm, Self::Bodyweight];

    pub fn key(self) -> &'static str {
        match self {
            Self::Kg => "kg",
            Self::Lb => "lb",
            Self::PercentOneRm => "percent_1rm",
            Self::Bodyweight => "bodyweight",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Kg => "kg",
            Self::Lb => "lb",
            Self::PercentOneRm => "% of 1RM",
            Self::Bodyweight => "bodyweight +kg",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|u| u.key() == raw.trim())
            .ok_or_else(|| "Load unit must be kg, lb, percent_1rm or bodyweight.".to_owned())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Load {
    pub value: f64,
    pub unit: LoadUnit,
}

impl Load {
    pub fn label(&self) -> String {
        match self.unit {
            LoadUnit::PercentOneRm => format!("{}% 1RM", format_number(self.value)),
            LoadUnit::Bodyweight if self.value == 0.0 => "bodyweight".to_owned(),
            LoadUnit::Bodyweight => format!("bodyweight + {} kg", format_number(self.value)),
            unit => format!("{} {}", format_number(self.value), unit.label()),
        }
    }
}

/// How hard a set should feel: rate of perceived exertion or reps in reserve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "scale", content = "value", rename_all = "snake_case")]
pub enum Effort {
    Rpe(f64),
    Rir(u32),
}

impl Effort {
    pub fn label(&self) -> String {
        match self {
            Self::Rpe(v) => format!("RPE {}", format_number(*v)),
            Self::Rir(v) => format!("RIR {v}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Exercise {
    pub name: String,
    pub sets: Option<u32>,
    /// Free text such as "8-10", "5" or "AMRAP".
    pub reps: String,
    pub load: Option<Load>,
    pub tempo: String,
    pub effort: Option<Effort>,
    pub rest_secs: Option<u32>,
    pub notes: String,
}

impl Exercise {
    /// "3 × 8-10 · 60 kg · tempo 3-1-1 · RPE 8 · rest 90 s"
    pub fn prescription(&self) -> String {
        let volume = match (self.sets, self.reps.is_empty()) {
            (Some(s), false) => Some(format!("{s} × {}", self.reps)),
            (Some(s), true) => Some(format!("{s} sets")),
            (None, false) => Some(format!("{} reps", self.reps)),
            (None, true) => None,
        };
        [
            volume,
            self.load.map(|l| l.label()),
            (!self.tempo.is_empty()).then(|| format!("tempo {}", self.tempo)),
            self.effort.map(|e| e.label()),
            self.rest_secs.map(|r| format!("rest {r} s")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct WorkoutSession {
    pub name: String,
    /// When in the week or cycle, e.g. "Monday" or "Day 1".
    pub day: String,
    pub warm_up: String,
    pub cool_down: String,
    pub notes: String,
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct WorkoutPlan {
    pub notes: String,
    pub sessions: Vec<WorkoutSession>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ExerciseDraft {
    pub name: String,
    pub sets: String,
    pub reps: String,
    pub load: String,
    /// A [`LoadUnit`] key; ignored while `load` is empty.
    pub load_unit: String,
    pub tempo: String,
    /// `rpe`, `rir`, or empty for none.
    pub effort_scale: String,
    pub effort: String,
    pub rest_secs: String,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct WorkoutSessionDraft {
    pub name: String,
    pub day: String,
    pub warm_up: String,
    pub cool_down: String,
    pub notes: String,
    pub exercises: Vec<ExerciseDraft>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct WorkoutPlanDraft {
    pub notes: String,
    pub sessions: Vec<WorkoutSessionDraft>,
}

impl ExerciseDraft {
    fn parse(&self, location: &str) -> Result<Exercise, AppError> {
        let load = match at(location, optional_number(&self.load, "Load", 0.0, 2_000.0))? {
            None if self.load_unit.trim() == LoadUnit::Bodyweight.key() => Some(Load {
                value: 0.0,
                unit: LoadUnit::Bodyweight,
            }),
            None => None,
            Some(value) => Some(Load {
                value,
                unit: at(location, LoadUnit::parse(&self.load_unit))?,
            }),
        };
        let effort = match self.effort_scale.trim() {
            "" => None,
            "rpe" => {
                at(location, optional_number(&self.effort, "RPE", 1.0, 10.0))?.map(Effort::Rpe)
            }
            "rir" => at(location, optional_count(&self.effort, "RIR", 0, 10))?.map(Effort::Rir),
            _ => {
                return Err(AppError::invalid(format!(
                    "{location}: Effort must be RPE or RIR."
                )))
            }
        };
        Ok(Exercise {
            name: name(&self.name, location)?,
            sets: at(location, optional_count(&self.sets, "Sets", 1, 100))?,
            reps: short_text(&self.reps, "Reps", location, 20)?,
            load,
            tempo: short_text(&self.tempo, "Tempo", location, 20)?,
            effort,
            rest_secs: at(location, optional_count(&self.rest_secs, "Rest", 0, 3600))?,
            notes: notes(&self.notes, location)?,
        })
    }
}

impl WorkoutPlanDraft {
    pub fn parse(&self) -> Result<WorkoutPlan, AppError> {
        at_most(&self.sessions, MAX_SESSIONS, "sessions in a workout plan")?;
        let mut sessions = Vec::with_capacity(self.sessions.len());
        for (s, session) in self.sessions.iter().enumerate() {
            let session_at = place("Session", s, &session.name);
            at_most(&session.exercises, MAX_EXERCISES, "exercises in a session")?;
            let exercises = session
                .exercises
                .iter()
                .enumerate()
                .map(|(e, ex)| {
                    ex.parse(&format!("{session_at}, {}", place("exercise", e, &ex.name)))
                })
                .collect::<Result<_, _>>()?;
            sessions.push(WorkoutSession {
                name: name(&session.name, &session_at)?,
                day: short_text(&session.day, "Day", &session_at, 40)?,
                warm_up: notes(&session.warm_up, &session_at)?,
                cool_down: notes(&session.cool_down, &session_at)?,
                notes: notes(&session.notes, &session_at)?,
                exercises,
            });
        }
        Ok(WorkoutPlan {
            notes: notes(&self.notes, "Plan")?,
            sessions,
        })
    }
}

impl WorkoutPlan {
    /// The plan as the builder edits it.
    pub fn to_draft(&self) -> WorkoutPlanDraft {
        WorkoutPlanDraft {
            notes: self.notes.clone(),
            sessions: self
                .sessions
                .iter()
                .map(|s| WorkoutSessionDraft {
                    name: s.name.clone(),
                    day: s.day.clone(),
                    warm_up: s.warm_up.clone(),
                    cool_down: s.cool_down.clone(),
                    notes: s.notes.clone(),
                    exercises: s
                        .exercises
                        .iter()
                        .map(|e| ExerciseDraft {
                            name: e.name.clone(),
                            sets: e.sets.map(|n| n.to_string()).unwrap_or_default(),
                            reps: e.reps.clone(),
                            load: match e.load {
                                Some(l) if !(l.unit == LoadUnit::Bodyweight && l.value == 0.0) => {
                                    format_number(l.value)
                                }
                                _ => String::new(),
                            },
                            load_unit: e.load.map_or("kg", |l| l.unit.key()).to_owned(),
                            tempo: e.tempo.clone(),
                            effort_scale: match e.effort {
                                Some(Effort::Rpe(_)) => "rpe",
                                Some(Effort::Rir(_)) => "rir",
                                None => "",
                            }
                            .to_owned(),
                            effort: match e.effort {
                                Some(Effort::Rpe(v)) => format_number(v),
                                Some(Effort::Rir(v)) => v.to_string(),
                                None => String::new(),
                            },
                            rest_secs: e.rest_secs.map(|n| n.to_string()).unwrap_or_default(),
                            notes: e.notes.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Moves item `from` one place up (`-1`) or down (`1`); out-of-range moves do nothing.
pub fn move_item<T>(items: &mut [T], from: usize, by: isize) {
    let to = from as isize + by;
    if from < items.len() && to >= 0 && (to as usize) < items.len() {
        items.swap(from, to as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn food(name: &str, p: &str, c: &str, f: &str, kcal: &str) -> FoodDraft {
        FoodDraft {
            name: name.into(),
            quantity: "100".into(),
            unit: "g".into(),
            protein: p.into(),
            carbs: c.into(),
            fat: f.into(),
            kcal: kcal.into(),
        }
    }

    fn plan(foods: Vec<FoodDraft>) -> MealPlanDraft {
        MealPlanDraft {
            target_kcal: "2000".into(),
            days: vec![MealDayDraft {
                name: "Monday".into(),
                meals: vec![MealDraft {
                    name: "Breakfast".into(),
                    foods,
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn totals_add_up_per_meal_and_day_and_kcal_defaults_from_macros() {
        let parsed = plan(vec![
            food("Oats", "13", "60", "7", "380"),
            food("Eggs", "12.5", "1", "10", ""),
        ])
        .parse()
        .unwrap();
        let day = &parsed.days[0];
        assert_eq!(day.meals[0].foods[1].macros.kcal, 4.0 * 12.5 + 4.0 + 90.0);
        let totals = day.totals();
        assert_eq!(totals.protein_g, 25.5);
        assert_eq!(totals.kcal, 380.0 + 144.0);
        assert_eq!(parsed.targets.kcal, Some(2000.0));
        assert_eq!(parsed.to_draft().parse().unwrap(), parsed);
    }

    #[test]
    fn errors_say_where() {
        let err = plan(vec![food("Oats", "-1", "", "", "")])
            .parse()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Day 1 (Monday), meal 1 (Breakfast), food 1 (Oats): Protein must not be negative."
        );
        let err = plan(vec![food(" ", "1", "", "", "")]).parse().unwrap_err();
        assert_eq!(
            err.to_string(),
            "Day 1 (Monday), meal 1 (Breakfast), food 1: a name is required."
        );
        let mut zero = food("Rice", "1", "", "", "");
        zero.quantity = "0".into();
        assert!(plan(vec![zero])
            .parse()
            .unwrap_err()
            .to_string()
            .contains("Quantity must be more than 0"));
        let mut bad_target = plan(vec![]);
        bad_target.target_protein = "lots".into();
        assert_eq!(
            bad_target.parse().unwrap_err().to_string(),
            "Daily targets: Protein must be a number."
        );
    }

    #[test]
    fn exercises_parse_with_their_parameters() {
        let draft = WorkoutPlanDraft {
            notes: String::new(),
            sessions: vec![WorkoutSessionDraft {
                name: "Lower A".into(),
                day: "Monday".into(),
                exercises: vec![ExerciseDraft {
                    name: "Back squat".into(),
                    sets: "4".into(),
                    reps: "6-8".into(),
                    load: "100".into(),
                    load_unit: "kg".into(),
                    tempo: "3-1-1".into(),
                    effort_scale: "rir".into(),
                    effort: "2".into(),
                    rest_secs: "150".into(),
                    notes: String::new(),
                }],
                ..Default::default()
            }],
        };
        let plan = draft.parse().unwrap();
        assert_eq!(
            plan.sessions[0].exercises[0].prescription(),
            "4 × 6-8 · 100 kg · tempo 3-1-1 · RIR 2 · rest 150 s"
        );
        assert_eq!(plan.to_draft(), draft);

        let mut bad = draft.clone();
        bad.sessions[0].exercises[0].effort_scale = "rpe".into();
        bad.sessions[0].exercises[0].effort = "11".into();
        assert_eq!(
            bad.parse().unwrap_err().to_string(),
            "Session 1 (Lower A), exercise 1 (Back squat): RPE must be between 1 and 10."
        );
        let mut bad = draft;
        bad.sessions[0].exercises[0].sets = "-3".into();
        assert!(bad
            .parse()
            .unwrap_err()
            .to_string()
            .ends_with("Sets must not be negative."));
    }

    #[test]
    fn running_totals_follow_what_is_typed() {
        let mut draft = plan(vec![
            food("Oats", "13", "60", "7", ""),
            food("Milk", "x", "", "", ""),
        ]);
        draft.target_protein = "150".into();
        let totals = draft.days[0].running_totals();
        assert_eq!(totals.protein_g, 13.0);
        assert_eq!(
            totals_against(totals, draft.running_targets()),
            "P 13 / 150 g · C 60 g · F 7 g · 355 / 2000 kcal"
        );
    }

    #[test]
    fn moving_items_stays_in_bounds() {
        let mut items = vec![1, 2, 3];
        move_item(&mut items, 0, -1);
        assert_eq!(items, [1, 2, 3]);
        move_item(&mut items, 0, 1);
        assert_eq!(items, [2, 1, 3]);
        move_item(&mut items, 2, 1);
        assert_eq!(items, [2, 1, 3]);
    }
}
