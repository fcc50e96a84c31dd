//! Posting a form with files while reporting upload progress. `fetch` has no upload progress
//! events, so this uses XMLHttpRequest against the server fn's own path.

use crate::AppError;

/// How an upload ended: the response body on success, or the error to show.
pub type UploadResult = Result<String, AppError>;

/// Sends `form` as multipart to `url`, calling `on_progress` with 0..=100 as bytes go out and
/// `on_done` once with the result. Only does anything in the browser.
#[cfg(feature = "hydrate")]
pub fn post_form_with_progress(
    form: &web_sys::HtmlFormElement,
    url: &str,
    on_progress: impl Fn(f64) + 'static,
    on_done: impl FnOnce(UploadResult) + 'static,
) {
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    use std::cell::RefCell;
    use std::rc::Rc;
    use web_sys::{FormData, ProgressEvent, XmlHttpRequest};

    // The server was not reached: "unavailable", which a caller may retry later (the check-in
    // is queued, ui/offline.rs).
    let network_error = || {
        AppError::Unavailable("The upload failed. Check your connection and try again.".to_owned())
    };
    // Called once, by whichever of load and error comes first.
    type Done = Rc<RefCell<Option<Box<dyn FnOnce(UploadResult)>>>>;
    let on_done: Done = Rc::new(RefCell::new(Some(Box::new(on_done))));
    let finish = {
        let on_done = on_done.clone();
        move |result: UploadResult| {
            if let Some(done) = on_done.borrow_mut().take() {
                done(result);
            }
        }
    };
    let started = (|| {
        let data = FormData::new_with_form(form).ok()?;
        let xhr = XmlHttpRequest::new().ok()?;
        xhr.open_with_async("POST", url, true).ok()?;
        xhr.set_request_header("Accept", "application/json").ok()?;

        let progress = Closure::<dyn Fn(ProgressEvent)>::new(move |ev: ProgressEvent| {
            if ev.length_computable() && ev.total() > 0.0 {
                on_progress((ev.loaded() / ev.total() * 100.0).clamp(0.0, 100.0));
            }
        });
        xhr.upload()
            .ok()?
            .set_onprogress(Some(progress.as_ref().unchecked_ref()));
        progress.forget();

        let loaded = {
            let xhr = xhr.clone();
            let finish = finish.clone();
            Closure::<dyn Fn()>::new(move || {
                let status = xhr.status().unwrap_or(0);
                let body = xhr.response_text().ok().flatten().unwrap_or_default();
                if (200..300).contains(&status) {
                    finish(Ok(body));
                } else {
                    // A proxy's own 502, 503 or 504 (no JSON): the server was not reached.
                    let err = serde_json::from_str::<AppError>(&body).unwrap_or(match status {
                        413 => AppError::TooLarge,
                        502..=504 => network_error(),
                        _ => AppError::Internal,
                    });
                    finish(Err(err));
                }
            })
        };
        xhr.set_onload(Some(loaded.as_ref().unchecked_ref()));
        loaded.forget();

        let failed = {
            let finish = finish.clone();
            Closure::<dyn Fn()>::new(move || finish(Err(network_error())))
        };
        xhr.set_onerror(Some(failed.as_ref().unchecked_ref()));
        failed.forget();

        xhr.send_with_opt_form_data(Some(&data)).ok()
    })();
    if started.is_none() {
        finish(Err(network_error()));
    }
}
