//! Settings → "Your workspace, to take with you": the workspace export (a plain link to the
//! ZIP) and the import of a package from another platform, checked first (a dry run that shows
//! what it adds) and imported only when the coach confirms.

use crate::domain::ImportReport;
use crate::testids;
use crate::ui::auth::FormError;
use leptos::prelude::*;

const IMPORT_PATH: &str = "/api/coach/import";

/// "3 clients, 40 check-ins, 2 forms, 1 plan", and what the workspace already has.
fn report_text(report: &ImportReport, verb: &str) -> String {
    let existing = report.clients.existing
        + report.checkins.existing
        + report.forms.existing
        + report.plans.existing;
    let already = match existing {
        0 => String::new(),
        1 => " 1 record was imported before and is skipped.".to_owned(),
        n => format!(" {n} records were imported before and are skipped."),
    };
    let settings = match report.settings_list() {
        None => String::new(),
        Some(list) if report.dry_run => format!(" It also sets your {list} from the package."),
        Some(list) => format!(" It also set your {list} from the package."),
    };
    format!("{verb} {}.{settings}{already}", report.summary())
}

/// How many imports have set workspace settings on this page: the settings form reloads when it
/// changes.
#[derive(Clone, Copy)]
pub struct SettingsImported(pub RwSignal<u32>);

#[component]
pub fn MoveWorkspaceCard() -> impl IntoView {
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let dry_run_ref = NodeRef::<leptos::html::Input>::new();
    let checked = RwSignal::new(None::<ImportReport>);
    let done = RwSignal::new(None::<ImportReport>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let settings_imported = use_context::<SettingsImported>();
    // Sends the form as a dry run (`dry_run` = true) or as the import itself.
    let send = move |dry_run: bool| {
        error.set(None);
        busy.set(true);
        #[cfg(feature = "hydrate")]
        if let (Some(form), Some(flag)) = (form_ref.get_untracked(), dry_run_ref.get_untracked()) {
            flag.set_value(if dry_run { "true" } else { "false" });
            crate::ui::upload::post_form_with_progress(
                &form,
                IMPORT_PATH,
                |_| {},
                move |result: Result<String, crate::AppError>| {
                    busy.set(false);
                    let report = result.and_then(|body| {
                        serde_json::from_str::<ImportReport>(&body)
                            .map_err(|_| crate::AppError::Internal)
                    });
                    match report {
                        Ok(report) if report.dry_run => checked.set(Some(report)),
                        Ok(report) => {
                            checked.set(None);
                            if !report.settings.is_empty() {
                                if let Some(imported) = settings_imported {
                                    imported.0.update(|count| *count += 1);
                                }
                            }
                            done.set(Some(report));
                        }
                        Err(err) => error.set(Some(err.to_string())),
                    }
                },
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (
            form_ref,
            dry_run_ref,
            dry_run,
            checked,
            done,
            settings_imported,
        );
    };
    let on_check = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        send(true);
    };
    view! {
        <section class="card narrow" data-testid=testids::WORKSPACE_MOVE>
            <h2>"Your workspace, to take with you"</h2>
            <p class="muted">"One ZIP file with everything in your workspace: every client's profile, check-ins with photos, replies, goals, forms, plans, sessions and notes, and a copy in the open coaching data format (FCDS v1) that other platforms read. Each client sees in their access log that you exported it."</p>
            <a class="button secondary" href="/api/coach/export" download="" data-testid=testids::WORKSPACE_EXPORT>"Export workspace"</a>
            <h3>"Import from another platform"</h3>
            <p class="muted">"An FCDS v1 package: open-coaching-data.json, or a ZIP of up to 24 MB holding it. It is checked first and nothing is imported until you confirm; importing the same package again adds nothing."</p>
            <form node_ref=form_ref method="post" action=IMPORT_PATH enctype="multipart/form-data" on:submit=on_check>
                <input type="hidden" name="dry_run" value="true" node_ref=dry_run_ref />
                <label>"Package"
                    <input type="file" name="package" required accept=".json,.zip,application/json,application/zip" data-testid=testids::IMPORT_FILE
                        on:change=move |_| { checked.set(None); done.set(None); error.set(None); } />
                </label>
                <button type="submit" disabled=move || busy.get() data-testid=testids::IMPORT_CHECK>"Check the package"</button>
            </form>
            {move || checked.get().map(|report| view! {
                <div data-testid=testids::IMPORT_PREVIEW>
                    <p>{report_text(&report, "This package adds")}</p>
                    <button type="button" disabled=move || busy.get() data-testid=testids::IMPORT_CONFIRM
                        on:click=move |_| send(false)>"Import"</button>
                </div>
            })}
            {move || done.get().map(|report| view! {
                <p role="status" data-testid=testids::IMPORT_DONE>{report_text(&report, "Imported")}</p>
            })}
            <FormError message=Signal::derive(move || error.get()) />
        </section>
    }
}
