//! khub: a federated expert network for the public sector.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod app;
pub mod bench;
pub mod config;
pub mod db;
pub mod error;
pub mod federation;
pub mod ids;
pub mod jobs;
pub mod mail;
pub mod media;
pub mod service;
pub mod streaming;
pub mod web;
