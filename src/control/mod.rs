//! The control plane: the application service the APIs call, the
//! authorization seam, placement, the job engine and its workflows.

pub mod audit;
pub mod authz;
pub mod explain;
pub mod identity;
pub mod insight;
pub mod jobs;
pub mod scheduler;
pub mod service;
pub mod workflows;
