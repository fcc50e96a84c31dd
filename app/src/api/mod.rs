//! Server functions: the app's whole HTTP API, under stable paths documented in `API.md`.
//!
//! Each one starts by resolving who is asking (`server::principal`), then proves ownership
//! (`server::authz`), then parses its input into domain types, and only then touches the store.
//!
//! Every one but the multipart uploads says `input_derive = (Clone, Serialize, Deserialize,
//! JsonSchema)`: the derives the macro would add, plus the JSON Schema that
//! `server::openapi` puts in `/api/openapi.json`. (The attribute cannot be cfg-gated, so the
//! schema code is compiled into the browser bundle too, where nothing calls it.)

pub mod access_log;
pub mod account;
pub mod ai;
pub mod auth;
pub mod checkins;
pub mod clients;
pub mod deletion;
pub mod forms;
pub mod goals;
pub mod invites;
pub mod legal;
pub mod mcp;
pub mod notes;
pub mod operator;
pub mod plans;
pub mod portal;
pub mod profile;
pub mod sessions;
pub mod support;
pub mod today;
pub mod workspace;
