//! Servers (compare-and-swapped on their generation), their volumes, ports
//! and instance actions.

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::addresses;
use super::jobs::write_job;
use super::{from_doc, to_doc, ts, DbResult, SqliteStore};
use crate::domain::{
    ControlResult, InstanceAction, InstanceActionEvent, Job, LockRecord, Port, Server, VmState, Volume,
};
use crate::domain::{Page, ServerFilter};
use crate::store::{Claim, NewPort, ServerStore};

fn write_server(tx: &Transaction, s: &Server) -> DbResult<()> {
    tx.execute(
        "INSERT INTO servers (id, project_id, seq, generation, deleted, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET generation = excluded.generation, deleted = excluded.deleted, doc = excluded.doc",
        params![
            s.id,
            s.project_id,
            s.seq,
            s.generation,
            (s.vm_state == VmState::Deleted) as i64,
            to_doc(s)?
        ],
    )?;
    Ok(())
}

fn write_action(tx: &Transaction, a: &InstanceAction) -> DbResult<()> {
    tx.execute(
        "INSERT INTO instance_actions (server_id, request_id, start_time, doc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(server_id, request_id) DO UPDATE SET doc = excluded.doc",
        params![a.server_id, a.request_id, ts(a.start_time), to_doc(a)?],
    )?;
    Ok(())
}

fn write_volume(tx: &Connection, v: &Volume) -> DbResult<()> {
    tx.execute(
        "INSERT INTO volumes (id, server_id, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET server_id = excluded.server_id, doc = excluded.doc",
        params![v.id, v.server_id, to_doc(v)?],
    )?;
    Ok(())
}

fn write_port(tx: &Connection, p: &Port) -> DbResult<()> {
    tx.execute(
        "INSERT INTO ports (id, server_id, subnet_id, ip, doc) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET server_id = excluded.server_id, doc = excluded.doc",
        params![p.id, p.server_id, p.subnet_id, p.ip_address, to_doc(p)?],
    )?;
    Ok(())
}

fn matches(s: &Server, f: &ServerFilter, ports: &[Port]) -> bool {
    if !f.ids.is_empty() && !f.ids.iter().any(|id| id == &s.id) {
        return false;
    }
    if let Some(n) = &f.name_contains {
        if !s.name.contains(n.as_str()) {
            return false;
        }
    }
    if let Some(n) = &f.name_exact {
        if &s.name != n {
            return false;
        }
    }
    if !f.statuses.is_empty() && !f.statuses.contains(&s.status()) {
        return false;
    }
    if let Some(fl) = &f.flavor_id {
        if &s.flavor_id != fl {
            return false;
        }
    }
    if let Some(im) = &f.image_id {
        if &s.image_id != im {
            return false;
        }
    }
    if !f.tags_all.iter().all(|t| s.tags.contains(t)) {
        return false;
    }
    if f.not_tags.iter().any(|t| s.tags.contains(t)) {
        return false;
    }
    if let Some(ip) = &f.ip_contains {
        if !ports.iter().any(|p| p.ip_address.contains(ip.as_str())) {
            return false;
        }
    }
    if let Some(since) = f.changes_since {
        if s.updated < since {
            return false;
        }
    }
    true
}

#[async_trait]
impl ServerStore for SqliteStore {
    async fn create_servers(
        &self,
        servers: &[Server],
        volumes: &[Volume],
        ports: &[NewPort],
        jobs: &[Job],
        actions: &[InstanceAction],
    ) -> ControlResult<Vec<Port>> {
        self.tx(|tx| {
            let first = SqliteStore::next_seq(tx, "servers", servers.len() as i64)?;
            for (i, s) in servers.iter().enumerate() {
                let mut s = s.clone();
                s.seq = first + i as i64;
                write_server(tx, &s)?;
            }
            for v in volumes {
                write_volume(tx, v)?;
            }
            // Each port is written before the next is assigned, so it sees it.
            let mut written = Vec::with_capacity(ports.len());
            for p in ports {
                let port = addresses::assign(tx, p)?;
                write_port(tx, &port)?;
                written.push(port);
            }
            for j in jobs {
                write_job(tx, j)?;
            }
            for a in actions {
                write_action(tx, a)?;
            }
            Ok(written)
        })
    }

    async fn get_server(&self, id: &str) -> ControlResult<Option<Server>> {
        let sql = format!("{SERVERS_WITH_LOCKS} WHERE s.id = ?1");
        Ok(self.servers_with_locks(&sql, &[&id])?.pop())
    }

    async fn list_servers(
        &self,
        project_id: &str,
        filter: &ServerFilter,
        page: Page,
    ) -> ControlResult<(Vec<Server>, usize)> {
        let sql = format!("{SERVERS_WITH_LOCKS} WHERE s.project_id = ?1 AND (s.deleted = 0 OR ?2) ORDER BY s.seq");
        let rows = self.servers_with_locks(&sql, &[&project_id, &filter.include_deleted])?;
        let mut all = Vec::with_capacity(rows.len());
        for s in rows {
            let ports = if filter.ip_contains.is_some() {
                self.ports_of(&s.id).await?
            } else {
                Vec::new()
            };
            if matches(&s, filter, &ports) {
                all.push(s);
            }
        }
        let total = all.len();
        let page_items: Vec<Server> = all
            .into_iter()
            .filter(|s| page.after_seq.is_none_or(|after| s.seq > after))
            .skip(page.offset)
            .take(if page.limit == 0 { usize::MAX } else { page.limit })
            .collect();
        Ok((page_items, total))
    }

    async fn live_servers(&self) -> ControlResult<Vec<Server>> {
        let sql = format!("{SERVERS_WITH_LOCKS} WHERE s.deleted = 0 ORDER BY s.seq");
        self.servers_with_locks(&sql, &[])
    }

    async fn claim(&self, claim: &Claim) -> ControlResult<bool> {
        self.tx(|tx| {
            let n = tx.execute(
                "UPDATE servers SET generation = ?1, deleted = ?2, doc = ?3 WHERE id = ?4 AND generation = ?5",
                params![
                    claim.server.generation,
                    (claim.server.vm_state == VmState::Deleted) as i64,
                    to_doc(&claim.server)?,
                    claim.server.id,
                    claim.expected_generation
                ],
            )?;
            if n != 1 {
                return Ok(false);
            }
            write_job(tx, &claim.job)?;
            if let Some(a) = &claim.action {
                write_action(tx, a)?;
            }
            Ok(true)
        })
    }

    async fn update_server(&self, server: &Server, expected_generation: i64) -> ControlResult<bool> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE servers SET generation = ?1, deleted = ?2, doc = ?3 WHERE id = ?4 AND generation = ?5",
                params![
                    server.generation,
                    (server.vm_state == VmState::Deleted) as i64,
                    to_doc(server)?,
                    server.id,
                    expected_generation
                ],
            )?;
            Ok(n == 1)
        })
    }

    async fn volumes_of(&self, server_id: &str) -> ControlResult<Vec<Volume>> {
        self.get_docs(
            "SELECT doc FROM volumes WHERE server_id = ?1 ORDER BY id",
            &[&server_id],
        )
    }

    async fn get_volume(&self, id: &str) -> ControlResult<Option<Volume>> {
        self.get_doc("SELECT doc FROM volumes WHERE id = ?1", &[&id])
    }

    async fn put_volume(&self, v: &Volume) -> ControlResult<()> {
        self.with(|c| write_volume(c, v))
    }

    async fn delete_volume(&self, id: &str) -> ControlResult<()> {
        self.with(|c| {
            c.execute("DELETE FROM volumes WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    async fn ports_of(&self, server_id: &str) -> ControlResult<Vec<Port>> {
        self.get_docs("SELECT doc FROM ports WHERE server_id = ?1 ORDER BY id", &[&server_id])
    }

    async fn put_port(&self, p: &Port) -> ControlResult<()> {
        self.with(|c| write_port(c, p))
    }

    async fn delete_port(&self, id: &str) -> ControlResult<()> {
        self.tx(|tx| addresses::delete_port(tx, id))
    }

    async fn put_action(&self, a: &InstanceAction) -> ControlResult<()> {
        self.tx(|tx| write_action(tx, a))
    }

    async fn get_action(&self, server_id: &str, request_id: &str) -> ControlResult<Option<InstanceAction>> {
        self.get_doc(
            "SELECT doc FROM instance_actions WHERE server_id = ?1 AND request_id = ?2",
            &[&server_id, &request_id],
        )
    }

    async fn list_actions(&self, server_id: &str) -> ControlResult<Vec<InstanceAction>> {
        self.get_docs(
            "SELECT doc FROM instance_actions WHERE server_id = ?1 ORDER BY start_time DESC, rowid DESC",
            &[&server_id],
        )
    }

    async fn record_event(&self, server_id: &str, request_id: &str, event: &InstanceActionEvent) -> ControlResult<()> {
        self.tx(|tx| {
            let doc: Option<String> = tx
                .query_row(
                    "SELECT doc FROM instance_actions WHERE server_id = ?1 AND request_id = ?2",
                    [server_id, request_id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(doc) = doc else { return Ok(()) };
            let mut action: InstanceAction = from_doc(&doc)?;
            match action.events.iter_mut().find(|e| e.event == event.event) {
                Some(e) => *e = event.clone(),
                None => action.events.push(event.clone()),
            }
            if event.result.as_deref() == Some("Error") {
                action.message = Some("Error".into());
            }
            action.updated_at = Utc::now();
            write_action(tx, &action)
        })
    }

    async fn set_lock(
        &self,
        server_id: &str,
        lock: &LockRecord,
        job: &Job,
        action: Option<&InstanceAction>,
    ) -> ControlResult<bool> {
        self.tx(|tx| {
            let exists: Option<i64> = tx
                .query_row("SELECT 1 FROM servers WHERE id = ?1", [server_id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO server_locks (server_id, doc) VALUES (?1, ?2)
                 ON CONFLICT(server_id) DO UPDATE SET doc = excluded.doc",
                params![server_id, to_doc(lock)?],
            )?;
            write_job(tx, job)?;
            if let Some(a) = action {
                write_action(tx, a)?;
            }
            Ok(true)
        })
    }
}

/// Server reads: the record with its lock (if it has a lock record).
const SERVERS_WITH_LOCKS: &str =
    "SELECT s.seq, s.doc, l.doc FROM servers s LEFT JOIN server_locks l ON l.server_id = s.id";

impl SqliteStore {
    /// Runs a [`SERVERS_WITH_LOCKS`] query: servers with their lock applied.
    fn servers_with_locks(&self, sql: &str, key: &[&dyn rusqlite::ToSql]) -> ControlResult<Vec<Server>> {
        let rows: Vec<(i64, String, Option<String>)> = self.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt
                .query_map(key, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|(seq, doc, lock)| {
                let mut s: Server = from_doc(&doc)?;
                s.seq = seq;
                if let Some(lock) = lock {
                    from_doc::<LockRecord>(&lock)?.apply_to(&mut s);
                }
                Ok(s)
            })
            .collect()
    }
}
