//! The integration suite, as one test binary: each module drives the real server (or the real
//! binary) over HTTP. One binary links the app once; a test binary per file took about 1.4 GB
//! of disk each and most of the suite's link time.

#[macro_use]
mod common;

mod access_log;
mod ai;
mod auth;
mod authz_matrix;
mod backups;
mod checkins;
mod clients;
mod deletion;
mod exports;
mod forms;
mod goals;
mod hardening;
mod http;
mod legal;
mod mail;
mod mcp;
mod oauth;
mod openapi;
mod operators;
mod password_reset;
mod plans;
mod postgres_tls;
mod profile;
mod sealing;
mod seed;
mod sessions;
mod startup;
mod storage;
mod support;
mod time_zones;
mod today;
mod two_servers;
mod workspace_moves;
