#![recursion_limit = "256"]
// Handlers return a finished error `Response` as their `Err`; boxing it buys nothing here.
#![allow(clippy::result_large_err)]
//! ecsd: a self-hosted control plane for elastic cloud servers, speaking
//! Huawei Cloud ECS, OpenStack Nova and Keystone on one port.
//!
//! Layers point one way: `domain`, then `catalog` / `iam` / `store` /
//! `driver`, then `control`, then `api`, then `app` (wiring and file
//! configuration) and the binary.

pub mod api;
pub mod app;
pub mod catalog;
pub mod control;
pub mod domain;
pub mod driver;
pub mod iam;
pub mod store;
