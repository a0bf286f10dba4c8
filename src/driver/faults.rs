//! Injected failures: rules any driver can consult at the start of a step,
//! so that tests and operators can make any step of any operation fail.

use serde::{Deserialize, Serialize};

use super::{DriverError, StepContext};

/// A driver that takes injected failures (the simulated one does).
pub trait FaultInjection: Send + Sync {
    fn faults(&self) -> Vec<FaultRule>;
    fn add_fault(&self, rule: FaultRule);
    fn clear_faults(&self);
}

/// A failure to inject: when `operation` (catalog name, `*` for any) reaches
/// `step` (`*` for any), the step fails `times` times (0 = always).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub operation: String,
    pub step: String,
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub server_id: Option<String>,
    #[serde(default = "default_code")]
    pub code: String,
    #[serde(default = "default_reason")]
    pub reason: String,
}

fn one() -> u32 {
    1
}
fn default_code() -> String {
    "Ecs.1000".into()
}
fn default_reason() -> String {
    "Injected failure in the simulated driver.".into()
}

impl FaultRule {
    /// True when this rule applies to the step `ctx` is at.
    pub fn matches(&self, ctx: &StepContext) -> bool {
        (self.operation == "*" || self.operation == ctx.operation)
            && (self.step == "*" || self.step == ctx.step)
            && self.server_id.as_ref().is_none_or(|s| s == &ctx.server_id)
    }
}

/// Fails the step with the first matching rule, counting down (and dropping
/// when spent) a rule with a limited number of `times`.
pub fn fire(rules: &mut Vec<FaultRule>, ctx: &StepContext) -> Result<(), DriverError> {
    if let Some(i) = rules.iter().position(|f| f.matches(ctx)) {
        let rule = rules[i].clone();
        if rule.times == 1 {
            rules.remove(i);
        } else if rule.times > 1 {
            rules[i].times -= 1;
        }
        return Err(DriverError {
            code: rule.code,
            reason: rule.reason,
        });
    }
    Ok(())
}
