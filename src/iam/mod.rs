//! The IAM policy engine: Huawei IAM policy documents (fine-grained `1.1`
//! policies and legacy `1.0` roles), validated, compiled once per principal,
//! and evaluated as a pure function of the request.
//!
//! - [`policy`]: the document model and [`validate`] (limits, grammar, JSON
//!   paths of faults).
//! - [`condition`]: condition operators and their semantics.
//! - [`context`]: the condition key values of one request.
//! - [`compile`]: [`CompiledPolicy`] and a principal's [`PolicySet`], with
//!   the action and resource matching rules.
//! - [`decide`](mod@decide): [`decide()`], [`is_allowed()`], [`decide_all()`].
//! - [`system`]: the built-in system policies and roles.
//!
//! ```
//! use ecsd::iam::{self, CompiledPolicy, Context, PolicySet, Request};
//! let doc = iam::validate(&serde_json::json!({"Version": "1.1", "Statement": [
//!     {"Effect": "Allow", "Action": ["ecs:*:get*", "ecs:servers:stop"]}]}))?;
//! let set = PolicySet::new(vec![CompiledPolicy::new("p1", &doc)]);
//! let ctx = Context::new().with("g:UserName", "alice");
//! let req = Request { action: "ecs:servers:stop", resource: None, context: &ctx };
//! assert!(iam::is_allowed(&set, &req));
//! # Ok::<(), iam::PolicyError>(())
//! ```

pub mod compile;
pub mod condition;
pub mod context;
pub mod decide;
mod glob;
pub mod policy;
pub mod system;

pub use compile::{CompiledPolicy, PolicySet};
pub use condition::{Operator, SetQualifier, Test};
pub use context::Context;
pub use decide::{decide, decide_all, is_allowed, is_allowed_all, Decision, Match, MultiDecision, Reason, Request};
pub use policy::{
    validate, validate_with_limits, Condition, Dependency, Effect, Limits, PolicyDocument, PolicyError, Statement,
    Version,
};
pub use system::{find_system_role, system_roles, SystemRole};
