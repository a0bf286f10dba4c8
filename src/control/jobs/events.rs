//! Nova instance-action events: a step opens its workflow's event for it
//! (closing the one before); the job's end closes the last one.

use super::Engine;
use crate::control::workflows::{Flow, Step};
use crate::domain::{ControlResult, InstanceActionEvent, Job};

impl Engine {
    pub(super) async fn start_event(&self, job: &Job, flow: &dyn Flow, step: &Step) -> ControlResult<()> {
        let Some(server_id) = &job.server_id else { return Ok(()) };
        let name = flow.event(step);
        let Some(action) = self.store.get_action(server_id, &job.request_id).await? else {
            return Ok(());
        };
        if action.events.iter().any(|e| e.event == name) {
            return Ok(());
        }
        // Close the previous event, then open this one.
        if let Some(prev) = action.events.last() {
            if prev.finish_time.is_none() {
                let done = prev.clone().finished("Success");
                self.store.record_event(server_id, &job.request_id, &done).await?;
            }
        }
        let event = InstanceActionEvent::started(name);
        self.store.record_event(server_id, &job.request_id, &event).await
    }

    pub(super) async fn finish_event(
        &self,
        job: &Job,
        flow: &dyn Flow,
        step: &Step,
        result: &str,
    ) -> ControlResult<()> {
        let Some(server_id) = &job.server_id else { return Ok(()) };
        let Some(action) = self.store.get_action(server_id, &job.request_id).await? else {
            return Ok(());
        };
        let name = flow.event(step);
        let mut event = action
            .events
            .iter()
            .rev()
            .find(|e| e.finish_time.is_none())
            .cloned()
            .unwrap_or_else(|| InstanceActionEvent::started(name))
            .finished(result);
        if result == "Error" {
            event.traceback = job.fail_reason.clone();
        }
        self.store.record_event(server_id, &job.request_id, &event).await
    }
}
