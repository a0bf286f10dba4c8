//! Nova instance-action events, kept on the worker's copy of the action and
//! written with each step's commit: a step opens its workflow's event
//! (closing the one before); the job's end closes the last one.

use crate::domain::{InstanceAction, InstanceActionEvent};

/// Opens event `name` unless the action has it already, closing the open one before it.
pub(super) fn open(action: &mut InstanceAction, name: &str) {
    if action.events.iter().any(|e| e.event == name) {
        return;
    }
    if let Some(prev) = action.events.last_mut() {
        if prev.finish_time.is_none() {
            *prev = prev.clone().finished("Success");
        }
    }
    action.events.push(InstanceActionEvent::started(name));
    action.updated_at = chrono::Utc::now();
}

/// Closes the open event (or event `name`, opened and closed at once, if
/// none is open) with `result`; an error carries its traceback.
pub(super) fn close(action: &mut InstanceAction, name: &str, result: &str, traceback: Option<String>) {
    let index = match action.events.iter().rposition(|e| e.finish_time.is_none()) {
        Some(i) => i,
        None => {
            action.events.push(InstanceActionEvent::started(name));
            action.events.len() - 1
        }
    };
    let mut event = action.events[index].clone().finished(result);
    if result == "Error" {
        event.traceback = traceback;
        action.message = Some("Error".into());
    }
    action.events[index] = event;
    action.updated_at = chrono::Utc::now();
}
