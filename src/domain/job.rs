//! Durable jobs (Huawei's task model) and Nova instance actions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    Init,
    Running,
    Success,
    Fail,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Init => "INIT",
            JobStatus::Running => "RUNNING",
            JobStatus::Success => "SUCCESS",
            JobStatus::Fail => "FAIL",
        }
    }

    pub fn parse(s: &str) -> Option<JobStatus> {
        match s {
            "INIT" => Some(JobStatus::Init),
            "RUNNING" => Some(JobStatus::Running),
            "SUCCESS" => Some(JobStatus::Success),
            "FAIL" => Some(JobStatus::Fail),
            _ => None,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Success | JobStatus::Fail)
    }
}

/// A unit of durable work. A parent job (batch) has no workflow of its own;
/// it finishes when all its sub-jobs have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub parent_id: Option<String>,
    pub project_id: String,
    pub user_id: String,
    /// Huawei's job type name, e.g. `createServer`, `batchStopServer`.
    pub job_type: String,
    /// The catalog operation this job carries out.
    pub operation: String,
    pub server_id: Option<String>,
    /// Workflow input and progress, one typed struct serialized as JSON.
    pub params: serde_json::Value,
    pub status: JobStatus,
    /// Index of the next workflow step to run.
    pub step: i64,
    pub begin_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub error_code: Option<String>,
    pub fail_reason: Option<String>,
    pub request_id: String,
}

/// One recorded step of a job: written before the step runs and marked
/// done after, so recovery knows what to re-run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStepRecord {
    pub job_id: String,
    pub index: i64,
    pub name: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    pub attempts: i64,
}

/// A Nova instance action: one per state-changing API call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceAction {
    pub server_id: String,
    pub request_id: String,
    pub action: String,
    pub project_id: String,
    pub user_id: String,
    pub start_time: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub message: Option<String>,
    pub events: Vec<InstanceActionEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceActionEvent {
    pub event: String,
    pub start_time: DateTime<Utc>,
    pub finish_time: Option<DateTime<Utc>>,
    pub result: Option<String>,
    pub traceback: Option<String>,
    pub host: Option<String>,
}

impl InstanceActionEvent {
    /// An event that starts now and has not finished.
    pub fn started(event: &str) -> InstanceActionEvent {
        InstanceActionEvent {
            event: event.to_string(),
            start_time: Utc::now(),
            finish_time: None,
            result: None,
            traceback: None,
            host: None,
        }
    }

    /// The event finished now with `result` (`Success` or `Error`).
    pub fn finished(mut self, result: &str) -> InstanceActionEvent {
        self.finish_time = Some(Utc::now());
        self.result = Some(result.to_string());
        self
    }
}
