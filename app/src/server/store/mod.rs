//! SQL store. Functions that read or change workspace data take an ownership proof from
//! [`super::authz`]; only account plumbing (sign-up, login, sessions) works on raw ids.

pub mod checkins;
pub mod clients;
pub mod coaches;
pub mod goals;
pub mod invites;
pub mod notes;
pub mod object_deletions;
pub mod secrets;
pub mod users;
