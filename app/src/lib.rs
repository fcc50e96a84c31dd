#![recursion_limit = "256"]
//! Coachroom: components and server functions shared by the server and the WASM client.
//!
//! - [`api`]: `#[server]` functions, the only door from the browser to the server.
//! - [`ui`]: Leptos components and routes.
//! - [`domain`]: parsed input types, shared by both sides.
//! - `server`: everything that runs only on the server (store, auth, HTTP), behind the one `ssr` gate.

pub mod api;
pub mod domain;
pub mod error;
pub mod testids;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;

pub use error::AppError;
