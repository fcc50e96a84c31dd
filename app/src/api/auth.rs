//! Sign-up, login, logout and "who am I".

use crate::domain::{Me, SignupOutcome};
use crate::AppError;
use leptos::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Creates a coach account with its workspace and signs it in; with email set up, sends a link
/// that does so instead, and answers the same whether or not the address is taken.
#[server(
    prefix = "/api",
    endpoint = "auth/signup",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn signup(
    name: String,
    email: String,
    password: String,
    timezone: Option<String>,
) -> Result<SignupOutcome, AppError> {
    use crate::domain::{Email, NewPassword, PersonName, Role};
    use crate::server::{
        http, internal, password, principal, state::AppState, store, throttle, time_zones,
    };

    let state = AppState::current()?;
    let session = principal::session().await?;
    let name = PersonName::parse(&name)?;
    let email = Email::parse(&email)?;
    let password = NewPassword::parse(&password)?;
    let timezone = time_zones::device_zone(timezone.as_deref());
    let ip = http::request_ip(&state.settings).await;
    // Every sign-up counts, successful or not: each one hashes a password and makes an account.
    throttle::new_account(&state, ip).await?.keep_counted();

    if let Some(mail) = &state.settings.mail {
        // The same work whatever the address: a link row is made either way (one for a taken
        // address can never complete), and the email goes out after the answer.
        let base = &state.settings.base_url;
        let token = store::email_links::create_signup(&state.db, &email, &name).await?;
        let (subject, body) = if store::users::email_taken(&state.db, &email, None).await? {
            (
                "Your Coachroom account".to_owned(),
                format!(
                    "Someone tried to create a Coachroom account with this address, which \
                     already has one. If it was you, log in at {base}/login. If not, you can \
                     ignore this email.\n"
                ),
            )
        } else {
            (
                "Finish creating your Coachroom account".to_owned(),
                format!(
                    "Open this link to choose your password and finish creating your coach \
                     account (it works once, for 24 hours):\n{base}/signup/confirm/{token}\n\n\
                     If you did not sign up, ignore this email: nothing is created.\n"
                ),
            )
        };
        crate::server::mail::send_limited(&state, mail, &email, subject, body).await?;
        // Posted before the app loaded: the page says to look for the email.
        http::land_plain_form("/signup?sent=1");
        return Ok(SignupOutcome::CheckEmail {
            email: email.to_string(),
        });
    }
    let hash = password::hash(&password).await?;
    let mut tx = state.db.begin().await?;
    let user_id = store::users::insert(&mut tx, &email, &name, Role::Coach, &hash).await?;
    store::coaches::create_workspace(&mut tx, &user_id, timezone.as_ref()).await?;
    tx.commit().await.map_err(internal)?;
    let me = principal::sign_in_as(&state, &session, &user_id).await?;
    Ok(SignupOutcome::SignedIn { me })
}

/// Finishes a sign-up from the link it emailed: the password is chosen here, by whoever holds
/// the link; creates the account and signs it in.
#[server(
    prefix = "/api",
    endpoint = "auth/signup/confirm",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn confirm_signup(
    token: String,
    password: String,
    timezone: Option<String>,
) -> Result<Me, AppError> {
    use crate::domain::{LinkToken, NewPassword, Role};
    use crate::server::{
        http, internal, password, principal, state::AppState, store, throttle, time_zones,
    };
    let state = AppState::current()?;
    let session = principal::session().await?;
    let timezone = time_zones::device_zone(timezone.as_deref());
    let ip = http::request_ip(&state.settings).await;
    throttle::new_account(&state, ip).await?.keep_counted();
    let unusable = || {
        AppError::Conflict("This link is no longer valid. Sign up again to get a new one.".into())
    };
    let token = LinkToken::parse(&token).ok_or_else(unusable)?;
    let password = NewPassword::parse(&password)?;
    // The cheap look at the link comes before the expensive hash; the claim below is the
    // atomic check.
    if !store::email_links::signup_usable(&state.db, &token).await? {
        return Err(unusable());
    }
    let hash = password::hash(&password).await?;
    let mut tx = state.db.begin().await?;
    let pending = store::email_links::claim_signup(&mut tx, &token)
        .await?
        .ok_or_else(unusable)?;
    let user_id = store::users::insert(&mut tx, &pending.email, &pending.name, Role::Coach, &hash)
        .await
        .map_err(|err| match err {
            // Taken meanwhile (e.g. the same address signed up twice): the link is spent.
            AppError::Conflict(_) => unusable(),
            other => other,
        })?;
    store::coaches::create_workspace(&mut tx, &user_id, timezone.as_ref()).await?;
    tx.commit().await.map_err(internal)?;
    principal::sign_in_as(&state, &session, &user_id).await
}

/// "Forgot password": emails the account that logs in with `email` a link to choose a new
/// password, working once for an hour. The answer is the same whether or not such an account
/// exists (the address is told either way, by email). 503 when the server has no outgoing email:
/// a coach then makes a client a link (`clients/password_link`), and an operator makes a coach
/// one (`coachroom admin reset-password`).
#[server(
    prefix = "/api",
    endpoint = "auth/password/forgot",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    use crate::domain::{Email, PASSWORD_RESET_NEEDS_SMTP};
    use crate::server::{http, mail, state::AppState, store, throttle};
    let state = AppState::current()?;
    let email = Email::parse(&email)?;
    let Some(mail_settings) = &state.settings.mail else {
        return Err(AppError::Unavailable(PASSWORD_RESET_NEEDS_SMTP.into()));
    };
    // Anonymous, and each one writes a link: counted per IP like a sign-up.
    let ip = http::request_ip(&state.settings).await;
    throttle::new_account(&state, ip).await?.keep_counted();
    // The address's email allowance first: a link that would not be sent must not replace the
    // one its owner has (a stranger repeating "forgot" would otherwise keep cancelling it).
    if throttle::email_to(&state, &email).await? {
        let base = &state.settings.base_url;
        let (subject, body) = match store::password_resets::for_own_email(&state.db, &email).await?
        {
            Some(link) => (
                "Choose a new Coachroom password".to_owned(),
                format!(
                    "Open this link to choose a new password for your Coachroom account (it \
                     works once, for 1 hour):\n{base}/reset-password/{}\n\nIf you did not ask \
                     for this, ignore this email: your password stays as it is.\n",
                    link.token
                ),
            ),
            None => (
                "Your Coachroom password".to_owned(),
                "Someone asked to reset the password of a Coachroom account with this address, \
                 but no account logs in with it. If you are a client, your coach may have your \
                 account under another address: ask them. If it was not you, ignore this \
                 email.\n"
                    .to_owned(),
            ),
        };
        // After the answer, so its timing does not tell which email this is.
        mail::send_in_background(mail_settings.clone(), email.to_string(), subject, body);
    }
    // Posted before the app loaded: the page shows that the email is on its way.
    http::land_plain_form("/forgot-password?sent=1");
    Ok(())
}

/// Chooses a new password with a reset link: every session of the account ends, this browser
/// is signed in, and the change is in the account's access log. 409 when the link is used,
/// replaced by a newer one, expired or unknown.
#[server(
    prefix = "/api",
    endpoint = "auth/password/reset",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn reset_password(token: String, password: String) -> Result<Me, AppError> {
    use crate::domain::{LinkToken, NewPassword};
    use crate::server::{http, password, principal, state::AppState, store, throttle};
    let state = AppState::current()?;
    let session = principal::session().await?;
    let ip = http::request_ip(&state.settings).await;
    // Each try hashes a password.
    throttle::new_account(&state, ip).await?.keep_counted();
    let unusable = || {
        AppError::Conflict(
            "This link is no longer valid. Ask for a new one: it works once, and only the \
             latest link does."
                .into(),
        )
    };
    let token = LinkToken::parse(&token).ok_or_else(unusable)?;
    let password = NewPassword::parse(&password)?;
    if !store::password_resets::usable(&state.db, &token).await? {
        return Err(unusable());
    }
    let hash = password::hash(&password).await?;
    let user_id = store::password_resets::reset(&state.db, &token, &hash)
        .await?
        .ok_or_else(unusable)?;
    principal::sign_in_as(&state, &session, &user_id).await
}

/// Signs in. Unknown email and wrong password get the same 401 after the same work.
#[server(
    prefix = "/api",
    endpoint = "auth/login",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn login(email: String, password: String) -> Result<Me, AppError> {
    use crate::domain::Email;
    use crate::server::{http, internal, password, principal, state::AppState, store, throttle};

    let state = AppState::current()?;
    let session = principal::session().await?;
    let email = Email::parse(&email)?;
    let ip = http::request_ip(&state.settings).await;
    // Counted before the verify, so parallel guesses cannot all pass the limit.
    let attempt = throttle::login(&state, ip, &email).await?;

    let checked = match store::users::credentials(&state.db, &email).await {
        Ok(credentials) => {
            let (account, stored_hash) = credentials
                .map(|c| ((c.user_id, c.suspended), c.password_hash))
                .unzip();
            password::verify(&password, stored_hash)
                .await
                .map(|ok| ok.then_some(account))
        }
        Err(err) => Err(err),
    };
    let account = match checked {
        Ok(Some(account)) => account,
        Ok(None) => {
            attempt.keep_counted();
            return Err(AppError::BadCredentials);
        }
        // Not a wrong password (e.g. 503 busy): it must not count as a failed try.
        Err(err) => {
            attempt.succeeded(&state.db).await?;
            return Err(err);
        }
    };
    let (user_id, suspended) = account.ok_or_else(|| internal("verified without an account"))?;
    attempt.succeeded(&state.db).await?;
    // Told only to whoever knows the password.
    if suspended {
        return Err(AppError::Suspended);
    }
    principal::sign_in_as(&state, &session, &user_id).await
}

/// Ends the current session on the server. Harmless when not signed in.
#[server(
    prefix = "/api",
    endpoint = "auth/logout",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::principal;
    let session = principal::session().await?;
    principal::sign_out(&session).await
}

/// The signed-in user, or `null` when nobody is signed in.
#[server(
    prefix = "/api",
    endpoint = "auth/me",
    input_derive = (Clone, Serialize, Deserialize, JsonSchema)
)]
pub async fn who_am_i() -> Result<Option<Me>, AppError> {
    use crate::server::{authz, principal, state::AppState, store};
    let state = AppState::current()?;
    let session = principal::session().await?;
    let Some((mut me, coach)) = principal::signed_in(&state, &session).await? else {
        return Ok(None);
    };
    // A coach's navigation counts the check-ins waiting for them.
    if let Some(coach) = coach {
        me.inbox_waiting =
            store::checkins::waiting_count(&state.db, &authz::own_workspace(&coach)).await?;
    }
    Ok(Some(me))
}
