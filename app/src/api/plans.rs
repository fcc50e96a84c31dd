//! Meal plans and workout plans: templates, copies for clients, the client's active plan. The
//! flows are shared (`server::plans`); each server fn picks the kind. The builder's save sends
//! JSON, since a plan is a nested document.

use crate::domain::{MealPlan, MealPlanDraft, PlanDoc, PlanSummary, WorkoutPlan, WorkoutPlanDraft};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use server_fn::codec::Json;

/// Templates (empty `client_id`) or one client's meal plans.
#[server(
    prefix = "/api",
    endpoint = "meal_plans/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn meal_plans(client_id: String) -> Result<Vec<PlanSummary>, AppError> {
    crate::server::plans::list::<crate::domain::MealPlanKind>(&client_id).await
}

/// A new, empty meal plan: a template (empty `client_id`) or for one client. Returns its id.
#[server(
    prefix = "/api",
    endpoint = "meal_plans/create",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn create_meal_plan(name: String, client_id: String) -> Result<String, AppError> {
    crate::server::plans::create::<crate::domain::MealPlanKind>(&name, &client_id).await
}

#[server(
    prefix = "/api",
    endpoint = "meal_plans/get",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_meal_plan(plan_id: String) -> Result<PlanDoc<MealPlan>, AppError> {
    crate::server::plans::get::<crate::domain::MealPlanKind>(&plan_id).await
}

#[server(
    prefix = "/api",
    endpoint = "meal_plans/save",
    input = Json,
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn save_meal_plan(
    plan_id: String,
    name: String,
    plan: MealPlanDraft,
) -> Result<PlanDoc<MealPlan>, AppError> {
    crate::server::plans::save::<crate::domain::MealPlanKind>(&plan_id, &name, &plan).await
}

/// Copies a meal plan (normally a template) to a client. Returns the copy's id.
#[server(
    prefix = "/api",
    endpoint = "meal_plans/copy",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn copy_meal_plan(plan_id: String, client_id: String) -> Result<String, AppError> {
    crate::server::plans::copy::<crate::domain::MealPlanKind>(&plan_id, &client_id).await
}

/// Makes a client's meal plan the one their portal shows (or hides it).
#[server(
    prefix = "/api",
    endpoint = "meal_plans/activate",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn activate_meal_plan(plan_id: String, active: bool) -> Result<(), AppError> {
    crate::server::plans::set_active::<crate::domain::MealPlanKind>(&plan_id, active).await
}

#[server(
    prefix = "/api",
    endpoint = "meal_plans/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_meal_plan(plan_id: String) -> Result<(), AppError> {
    crate::server::plans::delete::<crate::domain::MealPlanKind>(&plan_id).await
}

/// The client's active meal plan, if their coach has given them one.
#[server(
    prefix = "/api",
    endpoint = "portal/meal_plan",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_meal_plan() -> Result<Option<PlanDoc<MealPlan>>, AppError> {
    crate::server::plans::mine::<crate::domain::MealPlanKind>().await
}

/// Templates (empty `client_id`) or one client's workout plans.
#[server(
    prefix = "/api",
    endpoint = "workout_plans/list",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn workout_plans(client_id: String) -> Result<Vec<PlanSummary>, AppError> {
    crate::server::plans::list::<crate::domain::WorkoutPlanKind>(&client_id).await
}

/// A new, empty workout plan: a template (empty `client_id`) or for one client. Returns its id.
#[server(
    prefix = "/api",
    endpoint = "workout_plans/create",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn create_workout_plan(name: String, client_id: String) -> Result<String, AppError> {
    crate::server::plans::create::<crate::domain::WorkoutPlanKind>(&name, &client_id).await
}

#[server(
    prefix = "/api",
    endpoint = "workout_plans/get",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn get_workout_plan(plan_id: String) -> Result<PlanDoc<WorkoutPlan>, AppError> {
    crate::server::plans::get::<crate::domain::WorkoutPlanKind>(&plan_id).await
}

#[server(
    prefix = "/api",
    endpoint = "workout_plans/save",
    input = Json,
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn save_workout_plan(
    plan_id: String,
    name: String,
    plan: WorkoutPlanDraft,
) -> Result<PlanDoc<WorkoutPlan>, AppError> {
    crate::server::plans::save::<crate::domain::WorkoutPlanKind>(&plan_id, &name, &plan).await
}

/// Copies a workout plan (normally a template) to a client. Returns the copy's id.
#[server(
    prefix = "/api",
    endpoint = "workout_plans/copy",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn copy_workout_plan(plan_id: String, client_id: String) -> Result<String, AppError> {
    crate::server::plans::copy::<crate::domain::WorkoutPlanKind>(&plan_id, &client_id).await
}

/// Makes a client's workout plan the one their portal shows (or hides it).
#[server(
    prefix = "/api",
    endpoint = "workout_plans/activate",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn activate_workout_plan(plan_id: String, active: bool) -> Result<(), AppError> {
    crate::server::plans::set_active::<crate::domain::WorkoutPlanKind>(&plan_id, active).await
}

#[server(
    prefix = "/api",
    endpoint = "workout_plans/delete",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn delete_workout_plan(plan_id: String) -> Result<(), AppError> {
    crate::server::plans::delete::<crate::domain::WorkoutPlanKind>(&plan_id).await
}

/// The client's active workout plan, if their coach has given them one.
#[server(
    prefix = "/api",
    endpoint = "portal/workout_plan",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn my_workout_plan() -> Result<Option<PlanDoc<WorkoutPlan>>, AppError> {
    crate::server::plans::mine::<crate::domain::WorkoutPlanKind>().await
}
