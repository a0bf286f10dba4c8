//! Changes to a server's own record that run no workflow: its name,
//! description and metadata (Nova's update and metadata calls, Huawei's
//! update and metadata). Written with a compare-and-swap on the server's
//! generation while no operation holds the server, so they never undo a
//! running job's writes (an operation in flight is 409).

use std::collections::BTreeMap;

use chrono::Utc;

use super::Service;
use crate::catalog::{self, OpId};
use crate::domain::{Caller, ControlError, ControlResult, Server};

/// Most metadata items a server holds (Nova's `metadata_items` quota).
pub const MAX_METADATA_ITEMS: usize = 128;

/// How often a change is retried after losing the race to another write.
const RETRIES: usize = 8;

/// What a change does to the metadata.
#[derive(Debug, Clone, Default)]
pub enum MetadataChange {
    #[default]
    Keep,
    /// Add these keys, replacing the values of those present.
    Merge(BTreeMap<String, String>),
    /// Exactly these.
    Replace(BTreeMap<String, String>),
    /// Drop one key (404 when absent).
    Remove(String),
}

/// A change to the record.
#[derive(Debug, Clone, Default)]
pub struct RecordChange {
    pub name: Option<String>,
    pub description: Option<String>,
    pub metadata: MetadataChange,
}

fn check_metadata(items: &BTreeMap<String, String>) -> ControlResult<()> {
    for (k, v) in items {
        if k.is_empty() || k.chars().count() > 255 || v.chars().count() > 255 {
            return Err(ControlError::bad_request(format!(
                "Invalid metadata {k}: keys are 1 to 255 characters, values up to 255."
            )));
        }
    }
    if items.len() > MAX_METADATA_ITEMS {
        return Err(ControlError::bad_request_code(
            "Ecs.0005",
            format!("Quota exceeded for metadata_items: a server holds at most {MAX_METADATA_ITEMS} items."),
        ));
    }
    Ok(())
}

impl Service {
    /// Applies `change` to the server's record as the row `op` allows; returns
    /// the server as written.
    pub async fn change_server_record(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        change: RecordChange,
    ) -> ControlResult<Server> {
        let row = self.row(op);
        for _ in 0..RETRIES {
            let server = self.server_for(caller, server_id).await?;
            self.authorizer.authorize(caller, row, Some(&server)).await?;
            catalog::admit(row, &server, false)?;
            if let Some(task) = server.task_state {
                return Err(ControlError::InvalidState {
                    action: if row.conflict_name.is_empty() {
                        "update"
                    } else {
                        row.conflict_name
                    },
                    id: server.id.clone(),
                    vm_state: None,
                    task_state: Some(Some(task)),
                });
            }
            let mut next = server.clone();
            if let Some(name) = &change.name {
                if name.trim().is_empty() || name.chars().count() > 255 {
                    return Err(ControlError::bad_request(
                        "Invalid input for field/attribute name: 1 to 255 characters, not only spaces.",
                    ));
                }
                next.name = name.clone();
            }
            if let Some(d) = &change.description {
                if d.chars().count() > 255 {
                    return Err(ControlError::bad_request(
                        "Invalid input for field/attribute description: at most 255 characters.",
                    ));
                }
                next.description = d.clone();
            }
            match &change.metadata {
                MetadataChange::Keep => {}
                MetadataChange::Merge(items) => next.metadata.extend(items.clone()),
                MetadataChange::Replace(items) => next.metadata = items.clone(),
                MetadataChange::Remove(key) => {
                    if next.metadata.remove(key).is_none() {
                        return Err(ControlError::NotFound {
                            code: "Ecs.0005",
                            message: "Metadata item was not found".into(),
                        });
                    }
                }
            }
            check_metadata(&next.metadata)?;
            next.updated = Utc::now();
            next.generation = server.generation + 1;
            if self.store.update_server(&next, server.generation).await? {
                return Ok(next);
            }
        }
        Err(ControlError::Conflict {
            code: "Ecs.0603",
            message: format!("Instance {server_id} is changing; try again later."),
        })
    }
}
