//! Servers (compare-and-swapped on their generation), their volumes, ports
//! and instance actions.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use super::addresses;
use super::jobs::{write_job, JobRow};
use super::{from_doc, key, to_doc, ts, DbResult, Key, SqliteStore};
use crate::domain::{ControlResult, InstanceAction, Job, LockRecord, Port, Server, VmState, Volume};
use crate::domain::{Page, ServerFilter};
use crate::store::{Claim, NewPort, ServerStore};

/// A server as written: its queried columns and document, made on the
/// caller's thread so the writer only writes.
pub(super) struct ServerRow {
    id: String,
    project_id: String,
    generation: i64,
    deleted: bool,
    doc: String,
    placed: Placed,
}

/// Where a server takes room: its host with its flavor, and during a
/// resize also its source host with the old flavor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Placed {
    host: Option<String>,
    flavor_id: Option<String>,
    source_host: Option<String>,
    old_flavor_id: Option<String>,
}

impl Placed {
    /// The (host, flavor) pairs this server counts for, if it is live.
    fn slots(&self, deleted: bool) -> Vec<(&str, &str)> {
        if deleted {
            return Vec::new();
        }
        let mut slots = Vec::with_capacity(2);
        if let (Some(h), Some(f)) = (&self.host, &self.flavor_id) {
            slots.push((h.as_str(), f.as_str()));
        }
        if let (Some(h), Some(f)) = (&self.source_host, &self.old_flavor_id) {
            slots.push((h.as_str(), f.as_str()));
        }
        slots
    }
}

impl ServerRow {
    pub(super) fn of(s: &Server) -> ControlResult<ServerRow> {
        Ok(ServerRow {
            id: s.id.clone(),
            project_id: s.project_id.clone(),
            generation: s.generation,
            deleted: s.vm_state == VmState::Deleted,
            doc: to_doc(s)?,
            placed: Placed {
                host: s.host.clone(),
                flavor_id: Some(s.flavor_id.clone()),
                source_host: s.source_host.clone(),
                old_flavor_id: s.old_flavor_id.clone(),
            },
        })
    }
}

/// Moves a server's count in `host_flavors` from where it was to where it is.
fn recount(c: &Connection, was: (&Placed, bool), now: (&Placed, bool)) -> DbResult<()> {
    let (before, after) = (was.0.slots(was.1), now.0.slots(now.1));
    if before == after {
        return Ok(());
    }
    for (host, flavor) in before {
        c.prepare_cached("UPDATE host_flavors SET count = count - 1 WHERE host = ?1 AND flavor_id = ?2")?
            .execute(params![host, flavor])?;
    }
    for (host, flavor) in after {
        c.prepare_cached(
            "INSERT INTO host_flavors (host, flavor_id, count) VALUES (?1, ?2, 1)
             ON CONFLICT(host, flavor_id) DO UPDATE SET count = count + 1",
        )?
        .execute(params![host, flavor])?;
    }
    Ok(())
}

/// The stored placement of a server if it is at `generation`.
fn placed_at(c: &Connection, id: &str, generation: i64) -> DbResult<Option<(Placed, bool)>> {
    Ok(c.prepare_cached(
        "SELECT host, flavor_id, source_host, old_flavor_id, deleted FROM servers
             WHERE id = ?1 AND generation = ?2",
    )?
    .query_row(params![id, generation], |r| {
        Ok((
            Placed {
                host: r.get(0)?,
                flavor_id: r.get(1)?,
                source_host: r.get(2)?,
                old_flavor_id: r.get(3)?,
            },
            r.get::<_, i64>(4)? != 0,
        ))
    })
    .optional()?)
}

/// An instance action as written.
pub(super) struct ActionRow {
    server_id: String,
    request_id: String,
    start_time: String,
    doc: String,
}

impl ActionRow {
    pub(super) fn of(a: &InstanceAction) -> ControlResult<ActionRow> {
        Ok(ActionRow {
            server_id: a.server_id.clone(),
            request_id: a.request_id.clone(),
            start_time: ts(a.start_time),
            doc: to_doc(a)?,
        })
    }
}

/// Inserts a new server (a fresh id: there is no earlier placement to move).
fn insert_server(c: &Connection, s: &ServerRow, seq: i64) -> DbResult<()> {
    let p = &s.placed;
    c.prepare_cached(
        "INSERT INTO servers (id, project_id, seq, generation, deleted, doc, host, flavor_id, source_host, old_flavor_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        s.id,
        s.project_id,
        seq,
        s.generation,
        s.deleted as i64,
        s.doc,
        p.host,
        p.flavor_id,
        p.source_host,
        p.old_flavor_id
    ])?;
    recount(c, (&Placed::default(), true), (p, s.deleted))
}

/// Writes a server's new record if its generation is still `expected`,
/// keeping the per-host counts of placement in step.
pub(super) fn cas_server(c: &Connection, s: &ServerRow, expected: i64) -> DbResult<bool> {
    let Some((was, was_deleted)) = placed_at(c, &s.id, expected)? else {
        return Ok(false);
    };
    let p = &s.placed;
    c.prepare_cached(
        "UPDATE servers SET generation = ?1, deleted = ?2, doc = ?3, host = ?4, flavor_id = ?5, source_host = ?6,
             old_flavor_id = ?7 WHERE id = ?8",
    )?
    .execute(params![
        s.generation,
        s.deleted as i64,
        s.doc,
        p.host,
        p.flavor_id,
        p.source_host,
        p.old_flavor_id,
        s.id
    ])?;
    recount(c, (&was, was_deleted), (p, s.deleted))?;
    Ok(true)
}

pub(super) fn write_action(c: &Connection, a: &ActionRow) -> DbResult<()> {
    c.prepare_cached(
        "INSERT INTO instance_actions (server_id, request_id, start_time, doc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(server_id, request_id) DO UPDATE SET doc = excluded.doc",
    )?
    .execute(params![a.server_id, a.request_id, a.start_time, a.doc])?;
    Ok(())
}

pub(super) fn write_volume(c: &Connection, v: &Volume, doc: &str) -> DbResult<()> {
    c.prepare_cached(
        "INSERT INTO volumes (id, server_id, doc, project_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(id) DO UPDATE SET server_id = excluded.server_id, doc = excluded.doc",
    )?
    .execute(params![v.id, v.server_id, doc, v.project_id])?;
    Ok(())
}

pub(super) fn write_port(c: &Connection, p: &Port, doc: &str) -> DbResult<()> {
    c.prepare_cached(
        "INSERT INTO ports (id, server_id, subnet_id, ip, doc, project_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET server_id = excluded.server_id, doc = excluded.doc",
    )?
    .execute(params![p.id, p.server_id, p.subnet_id, p.ip_address, doc, p.project_id])?;
    Ok(())
}

/// Binds a port no server holds to the one `p` names; refused (nothing is
/// written) when another server took it first.
fn bind_port(c: &Connection, p: &Port, doc: &str) -> DbResult<()> {
    let bound = c
        .prepare_cached("UPDATE ports SET server_id = ?2, doc = ?3 WHERE id = ?1 AND server_id IS NULL")?
        .execute(params![p.id, p.server_id, doc])?;
    if bound == 0 {
        return Err(crate::domain::vpc::port_in_use(&p.id).into());
    }
    Ok(())
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
        let servers = servers.iter().map(ServerRow::of).collect::<ControlResult<Vec<_>>>()?;
        let volumes = volumes
            .iter()
            .map(|v| Ok((v.clone(), to_doc(v)?)))
            .collect::<ControlResult<Vec<_>>>()?;
        let ports = ports.to_vec();
        let jobs = jobs.iter().map(JobRow::of).collect::<ControlResult<Vec<_>>>()?;
        let actions = actions.iter().map(ActionRow::of).collect::<ControlResult<Vec<_>>>()?;
        self.write(move |c| {
            let first = SqliteStore::next_seq(c, "servers", servers.len() as i64)?;
            for (i, s) in servers.iter().enumerate() {
                insert_server(c, s, first + i as i64)?;
            }
            for (v, doc) in &volumes {
                write_volume(c, v, doc)?;
            }
            // Each port is written before the next is assigned, so it sees it.
            let mut written = Vec::with_capacity(ports.len());
            for p in &ports {
                if p.bind_existing {
                    bind_port(c, &p.port, &to_doc(&p.port)?)?;
                    written.push(p.port.clone());
                    continue;
                }
                let port = addresses::assign(c, p)?;
                write_port(c, &port, &to_doc(&port)?)?;
                written.push(port);
            }
            for j in &jobs {
                write_job(c, j, None)?;
            }
            for a in &actions {
                write_action(c, a)?;
            }
            Ok(written)
        })
        .await
    }

    async fn get_server(&self, id: &str) -> ControlResult<Option<Server>> {
        let id = id.to_string();
        self.read(move |c| server_on(c, &id)).await
    }

    async fn list_servers(
        &self,
        project_id: &str,
        filter: &ServerFilter,
        page: Page,
    ) -> ControlResult<(Vec<Server>, usize)> {
        // Rows stream through the filter on the reader: only the page is
        // kept. Without a total, the scan starts at the marker (an index
        // range) and stops once the page is full.
        let project_id = project_id.to_string();
        let filter = filter.clone();
        let floor = match (page.count_total, page.after_seq) {
            (false, Some(after)) => after,
            _ => i64::MIN,
        };
        self.read(move |c| {
            let sql = format!(
                "{SERVERS_WITH_LOCKS} WHERE s.project_id = ?1 AND (s.deleted = 0 OR ?2) AND s.seq > ?3 ORDER BY s.seq"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let mut rows = stmt.query(params![project_id, filter.include_deleted, floor])?;
            let limit = if page.limit == 0 { usize::MAX } else { page.limit };
            let (mut items, mut total, mut skipped) = (Vec::new(), 0usize, 0usize);
            while let Some(r) = rows.next()? {
                let s = server_of_row(r)?;
                let ports = match filter.ip_contains {
                    Some(_) => docs_on(c, PORTS_OF, &s.id)?,
                    None => Vec::new(),
                };
                if !filter.admits(&s, &ports) {
                    continue;
                }
                total += 1;
                if page.after_seq.is_some_and(|after| s.seq <= after) {
                    continue;
                }
                if skipped < page.offset {
                    skipped += 1;
                } else if items.len() < limit {
                    items.push(s);
                } else if !page.count_total {
                    break;
                }
            }
            Ok((items, total))
        })
        .await
    }

    async fn host_flavor_counts(&self) -> ControlResult<Vec<(String, String, i64)>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT host, flavor_id, count FROM host_flavors WHERE count > 0")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn live_servers(&self) -> ControlResult<Vec<Server>> {
        let sql = format!("{SERVERS_WITH_LOCKS} WHERE s.deleted = 0 ORDER BY s.seq");
        self.servers_with_locks(sql, key![]).await
    }

    async fn claim(&self, claim: &Claim) -> ControlResult<bool> {
        let server = ServerRow::of(&claim.server)?;
        let expected = claim.expected_generation;
        let job = JobRow::of(&claim.job)?;
        let lease = claim.lease.clone();
        let action = claim.action.as_ref().map(ActionRow::of).transpose()?;
        let image = claim
            .image
            .as_ref()
            .map(|i| Ok::<_, crate::domain::ControlError>((i.clone(), to_doc(i)?)))
            .transpose()?;
        self.write(move |c| {
            if !cas_server(c, &server, expected)? {
                return Ok(false);
            }
            write_job(c, &job, Some(&lease))?;
            if let Some(a) = &action {
                write_action(c, a)?;
            }
            if let Some((i, doc)) = &image {
                super::images::write_image(c, i, doc)?;
            }
            Ok(true)
        })
        .await
    }

    async fn update_server(&self, server: &Server, expected_generation: i64) -> ControlResult<bool> {
        let row = ServerRow::of(server)?;
        self.write(move |c| cas_server(c, &row, expected_generation)).await
    }

    async fn volumes_of(&self, server_id: &str) -> ControlResult<Vec<Volume>> {
        self.get_docs(VOLUMES_OF, key![server_id]).await
    }

    async fn get_volume(&self, id: &str) -> ControlResult<Option<Volume>> {
        self.get_doc("SELECT doc FROM volumes WHERE id = ?1", key![id]).await
    }

    async fn put_volume(&self, v: &Volume) -> ControlResult<()> {
        let (v, doc) = (v.clone(), to_doc(v)?);
        self.write(move |c| write_volume(c, &v, &doc)).await
    }

    async fn list_volumes(&self, project_id: &str) -> ControlResult<Vec<Volume>> {
        self.get_docs(
            "SELECT doc FROM volumes WHERE project_id = ?1 ORDER BY id",
            key![project_id],
        )
        .await
    }

    async fn delete_volume(&self, id: &str) -> ControlResult<()> {
        let id = id.to_string();
        self.write(move |c| {
            c.prepare_cached("DELETE FROM volumes WHERE id = ?1")?.execute([id])?;
            Ok(())
        })
        .await
    }

    async fn ports_of(&self, server_id: &str) -> ControlResult<Vec<Port>> {
        self.get_docs(PORTS_OF, key![server_id]).await
    }

    async fn attachments_of(&self, server_id: &str) -> ControlResult<(Vec<Volume>, Vec<Port>)> {
        let server_id = server_id.to_string();
        // One trip to a reader for both: a server's show needs them together.
        self.read(move |c| attachments_on(c, &server_id)).await
    }

    async fn server_with_attachments(&self, id: &str) -> ControlResult<Option<(Server, Vec<Volume>, Vec<Port>)>> {
        let id = id.to_string();
        self.read(move |c| {
            let Some(server) = server_on(c, &id)? else {
                return Ok(None);
            };
            let (volumes, ports) = attachments_on(c, &id)?;
            Ok(Some((server, volumes, ports)))
        })
        .await
    }

    async fn put_port(&self, p: &Port) -> ControlResult<()> {
        let (p, doc) = (p.clone(), to_doc(p)?);
        self.write(move |c| write_port(c, &p, &doc)).await
    }

    async fn get_port(&self, id: &str) -> ControlResult<Option<Port>> {
        self.get_doc("SELECT doc FROM ports WHERE id = ?1", key![id]).await
    }

    async fn list_ports(&self, project_id: &str) -> ControlResult<Vec<Port>> {
        self.get_docs(
            "SELECT doc FROM ports WHERE project_id = ?1 ORDER BY id",
            key![project_id],
        )
        .await
    }

    async fn delete_port(&self, id: &str) -> ControlResult<()> {
        let id = id.to_string();
        self.write(move |c| addresses::delete_port(c, &id)).await
    }

    async fn get_action(&self, server_id: &str, request_id: &str) -> ControlResult<Option<InstanceAction>> {
        self.get_doc(
            "SELECT doc FROM instance_actions WHERE server_id = ?1 AND request_id = ?2",
            key![server_id, request_id],
        )
        .await
    }

    async fn list_actions(&self, server_id: &str) -> ControlResult<Vec<InstanceAction>> {
        self.get_docs(
            "SELECT doc FROM instance_actions WHERE server_id = ?1 ORDER BY start_time DESC, rowid DESC",
            key![server_id],
        )
        .await
    }

    async fn set_lock(
        &self,
        server_id: &str,
        lock: &LockRecord,
        job: &Job,
        action: Option<&InstanceAction>,
    ) -> ControlResult<bool> {
        let server_id = server_id.to_string();
        let lock = to_doc(lock)?;
        let job = JobRow::of(job)?;
        let action = action.map(ActionRow::of).transpose()?;
        self.write(move |c| {
            let exists: Option<i64> = c
                .prepare_cached("SELECT 1 FROM servers WHERE id = ?1")?
                .query_row([&server_id], |r| r.get(0))
                .optional()?;
            if exists.is_none() {
                return Ok(false);
            }
            c.prepare_cached(
                "INSERT INTO server_locks (server_id, doc) VALUES (?1, ?2)
                 ON CONFLICT(server_id) DO UPDATE SET doc = excluded.doc",
            )?
            .execute(params![server_id, lock])?;
            write_job(c, &job, None)?;
            if let Some(a) = &action {
                write_action(c, a)?;
            }
            Ok(true)
        })
        .await
    }
}

/// Server reads: the record with its lock (if it has a lock record).
macro_rules! servers_with_locks {
    () => {
        "SELECT s.seq, s.doc, l.doc FROM servers s LEFT JOIN server_locks l ON l.server_id = s.id"
    };
}
const SERVERS_WITH_LOCKS: &str = servers_with_locks!();
const SERVER_BY_ID: &str = concat!(servers_with_locks!(), " WHERE s.id = ?1");
const VOLUMES_OF: &str = "SELECT doc FROM volumes WHERE server_id = ?1 ORDER BY id";
const PORTS_OF: &str = "SELECT doc FROM ports WHERE server_id = ?1 ORDER BY id";

/// A server from a [`SERVERS_WITH_LOCKS`] row, its lock applied.
fn server_of_row(r: &rusqlite::Row<'_>) -> DbResult<Server> {
    let mut s: Server = from_doc(&r.get::<_, String>(1)?)?;
    s.seq = r.get(0)?;
    if let Some(lock) = r.get::<_, Option<String>>(2)? {
        from_doc::<LockRecord>(&lock)?.apply_to(&mut s);
    }
    Ok(s)
}

/// One server by id, on the calling connection.
fn server_on(c: &Connection, id: &str) -> DbResult<Option<Server>> {
    let mut stmt = c.prepare_cached(SERVER_BY_ID)?;
    let mut rows = stmt.query([id])?;
    rows.next()?.map(server_of_row).transpose()
}

/// A server's volumes and ports, on the calling connection.
/// A server's ports with the floating IP mapped to each, in one statement.
const PORTS_WITH_FLOATING: &str = "SELECT p.doc, json_extract(f.doc, '$.floating_ip_address') FROM ports p
    LEFT JOIN floating_ips f ON f.port_id = p.id WHERE p.server_id = ?1 ORDER BY p.id";

fn attachments_on(c: &Connection, server_id: &str) -> DbResult<(Vec<Volume>, Vec<Port>)> {
    let mut stmt = c.prepare_cached(PORTS_WITH_FLOATING)?;
    let rows = stmt.query_map([server_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })?;
    let mut ports = Vec::new();
    for row in rows {
        let (doc, floating) = row?;
        ports.push(Port {
            floating_ip: floating,
            ..from_doc(&doc)?
        });
    }
    Ok((docs_on(c, VOLUMES_OF, server_id)?, ports))
}

/// The documents `sql` selects for one server, on the calling connection.
fn docs_on<T: serde::de::DeserializeOwned>(c: &Connection, sql: &str, server_id: &str) -> DbResult<Vec<T>> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query([server_id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(from_doc(&r.get::<_, String>(0)?)?);
    }
    Ok(out)
}

impl SqliteStore {
    /// Runs a [`SERVERS_WITH_LOCKS`] query: servers with their lock applied.
    async fn servers_with_locks(&self, sql: String, key: Key) -> ControlResult<Vec<Server>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(key))?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                out.push(server_of_row(r)?);
            }
            Ok(out)
        })
        .await
    }
}
