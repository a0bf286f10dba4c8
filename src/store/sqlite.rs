//! The embedded store: one SQLite file in WAL mode under the data directory.
//! Short transactions only; no transaction is held while a job runs.

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Claim, LockRecord, Page, ServerFilter, Store};
use crate::domain::{
    ControlError, ControlResult, InstanceAction, InstanceActionEvent, Job, JobStepRecord, Port, Server, VmState, Volume,
};
use crate::identity::model::{
    AuditFilter, AuditRecord, Credential, CustomRole, Domain, Grant, Group, Project, TokenRecord, User,
};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS domains (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (id TEXT PRIMARY KEY, domain_id TEXT NOT NULL, name TEXT NOT NULL,
    doc TEXT NOT NULL, UNIQUE(domain_id, name));
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, domain_id TEXT NOT NULL, name TEXT NOT NULL,
    doc TEXT NOT NULL, UNIQUE(domain_id, name));
CREATE TABLE IF NOT EXISTS credentials (access TEXT PRIMARY KEY, user_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens(user_id);
CREATE TABLE IF NOT EXISTS servers (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, seq INTEGER NOT NULL,
    generation INTEGER NOT NULL, deleted INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS servers_project ON servers(project_id, seq);
CREATE TABLE IF NOT EXISTS volumes (id TEXT PRIMARY KEY, server_id TEXT, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS volumes_server ON volumes(server_id);
CREATE TABLE IF NOT EXISTS ports (id TEXT PRIMARY KEY, server_id TEXT, subnet_id TEXT NOT NULL,
    ip TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ports_server ON ports(server_id);
CREATE INDEX IF NOT EXISTS ports_subnet ON ports(subnet_id);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, parent_id TEXT, project_id TEXT NOT NULL,
    status TEXT NOT NULL, runnable INTEGER NOT NULL, lease_owner TEXT, lease_until TEXT,
    seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_parent ON jobs(parent_id);
CREATE INDEX IF NOT EXISTS jobs_runnable ON jobs(runnable, seq);
CREATE TABLE IF NOT EXISTS job_steps (job_id TEXT NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT, result TEXT, attempts INTEGER NOT NULL,
    PRIMARY KEY (job_id, idx));
CREATE TABLE IF NOT EXISTS groups (id TEXT PRIMARY KEY, domain_id TEXT NOT NULL, name TEXT NOT NULL,
    doc TEXT NOT NULL, UNIQUE(domain_id, name));
CREATE TABLE IF NOT EXISTS group_members (group_id TEXT NOT NULL, user_id TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id));
CREATE INDEX IF NOT EXISTS group_members_user ON group_members(user_id);
CREATE TABLE IF NOT EXISTS roles (id TEXT PRIMARY KEY, domain_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grants (scope TEXT NOT NULL, scope_id TEXT NOT NULL, actor TEXT NOT NULL,
    actor_id TEXT NOT NULL, role_id TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (scope, scope_id, actor, actor_id, role_id));
CREATE INDEX IF NOT EXISTS grants_actor ON grants(actor_id);
CREATE INDEX IF NOT EXISTS grants_scope ON grants(scope_id);
CREATE INDEX IF NOT EXISTS grants_role ON grants(role_id);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
    domain_id TEXT NOT NULL, user_id TEXT NOT NULL, project_id TEXT NOT NULL, operation TEXT,
    decision TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_domain ON audit(domain_id, seq);
CREATE INDEX IF NOT EXISTS audit_user ON audit(user_id, seq);
CREATE INDEX IF NOT EXISTS audit_time ON audit(time);
CREATE TABLE IF NOT EXISTS instance_actions (server_id TEXT NOT NULL, request_id TEXT NOT NULL,
    start_time TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (server_id, request_id));
CREATE TABLE IF NOT EXISTS server_locks (server_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
"#;

/// One writer connection, and a few read-only ones so that reads run in
/// parallel with each other and with the writer (WAL allows it).
pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

/// Read connections per store.
const READERS: usize = 4;

fn to_doc<T: Serialize>(v: &T) -> ControlResult<String> {
    Ok(serde_json::to_string(v)?)
}

fn from_doc<T: DeserializeOwned>(s: &str) -> ControlResult<T> {
    Ok(serde_json::from_str(s)?)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl SqliteStore {
    /// Opens (creating if needed) `ecsd.db` in `dir`.
    pub fn open(dir: &Path) -> ControlResult<Self> {
        let path = dir.join("ecsd.db");
        let mut store = Self::init(Connection::open(&path)?)?;
        for _ in 0..READERS {
            let r = Connection::open_with_flags(
                &path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            r.busy_timeout(std::time::Duration::from_secs(5))?;
            store.readers.push(Mutex::new(r));
        }
        Ok(store)
    }

    /// A private in-memory database, for tests.
    pub fn in_memory() -> ControlResult<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> ControlResult<Self> {
        // WAL + NORMAL survives a killed process: committed transactions are
        // in the log before the reply is sent.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            readers: Vec::new(),
            next_reader: Default::default(),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> ControlResult<T>) -> ControlResult<T> {
        let conn = self.conn.lock();
        f(&conn)
    }

    /// Runs a read on a free read connection (the writer when there are none).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> ControlResult<T>) -> ControlResult<T> {
        if self.readers.is_empty() {
            return self.with(f);
        }
        let start = self.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for i in 0..self.readers.len() {
            if let Some(conn) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.readers[start % self.readers.len()].lock();
        f(&conn)
    }

    fn tx<T>(&self, f: impl FnOnce(&Transaction) -> ControlResult<T>) -> ControlResult<T> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    fn get_doc<T: DeserializeOwned>(&self, sql: &str, key: &[&dyn rusqlite::ToSql]) -> ControlResult<Option<T>> {
        self.read(|c| {
            let doc: Option<String> = c.prepare_cached(sql)?.query_row(key, |r| r.get(0)).optional()?;
            doc.map(|d| from_doc(&d)).transpose()
        })
    }

    fn get_docs<T: DeserializeOwned>(&self, sql: &str, key: &[&dyn rusqlite::ToSql]) -> ControlResult<Vec<T>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt.query_map(key, |r| r.get::<_, String>(0))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(from_doc(&row?)?);
            }
            Ok(out)
        })
    }
}

fn write_server(tx: &Transaction, s: &Server) -> ControlResult<()> {
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

fn write_job(tx: &Transaction, j: &Job) -> ControlResult<()> {
    // Unfinished parents stay runnable too, so recovery can close them.
    let runnable = !j.status.is_final();
    tx.execute(
        "INSERT INTO jobs (id, parent_id, project_id, status, runnable, seq, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?6)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, runnable = excluded.runnable, doc = excluded.doc",
        params![
            j.id,
            j.parent_id,
            j.project_id,
            j.status.as_str(),
            runnable as i64,
            to_doc(j)?
        ],
    )?;
    Ok(())
}

fn write_action(tx: &Transaction, a: &InstanceAction) -> ControlResult<()> {
    tx.execute(
        "INSERT INTO instance_actions (server_id, request_id, start_time, doc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(server_id, request_id) DO UPDATE SET doc = excluded.doc",
        params![a.server_id, a.request_id, ts(a.start_time), to_doc(a)?],
    )?;
    Ok(())
}

fn write_volume(tx: &Connection, v: &Volume) -> ControlResult<()> {
    tx.execute(
        "INSERT INTO volumes (id, server_id, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET server_id = excluded.server_id, doc = excluded.doc",
        params![v.id, v.server_id, to_doc(v)?],
    )?;
    Ok(())
}

fn write_port(tx: &Connection, p: &Port) -> ControlResult<()> {
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
impl Store for SqliteStore {
    async fn get_meta(&self, key: &str) -> ControlResult<Option<String>> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    async fn set_meta(&self, key: &str, value: &str) -> ControlResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )?;
            Ok(())
        })
    }

    async fn put_domain(&self, d: &Domain) -> ControlResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO domains (id, name, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
                params![d.id, d.name, to_doc(d)?],
            )?;
            Ok(())
        })
    }

    async fn get_domain(&self, id: &str) -> ControlResult<Option<Domain>> {
        self.get_doc("SELECT doc FROM domains WHERE id = ?1", &[&id])
    }

    async fn find_domain(&self, name: &str) -> ControlResult<Option<Domain>> {
        self.get_doc("SELECT doc FROM domains WHERE name = ?1", &[&name])
    }

    async fn put_project(&self, p: &Project) -> ControlResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO projects (id, domain_id, name, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
                params![p.id, p.domain_id, p.name, to_doc(p)?],
            )?;
            Ok(())
        })
    }

    async fn get_project(&self, id: &str) -> ControlResult<Option<Project>> {
        self.get_doc("SELECT doc FROM projects WHERE id = ?1", &[&id])
    }

    async fn find_project(&self, domain_id: &str, name: &str) -> ControlResult<Option<Project>> {
        self.get_doc(
            "SELECT doc FROM projects WHERE domain_id = ?1 AND name = ?2",
            &[&domain_id, &name],
        )
    }

    async fn list_projects(&self, domain_id: &str) -> ControlResult<Vec<Project>> {
        self.get_docs(
            "SELECT doc FROM projects WHERE domain_id = ?1 ORDER BY name",
            &[&domain_id],
        )
    }

    async fn put_user(&self, u: &User) -> ControlResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO users (id, domain_id, name, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
                params![u.id, u.domain_id, u.name, to_doc(u)?],
            )?;
            Ok(())
        })
    }

    async fn get_user(&self, id: &str) -> ControlResult<Option<User>> {
        self.get_doc("SELECT doc FROM users WHERE id = ?1", &[&id])
    }

    async fn find_user(&self, domain_id: &str, name: &str) -> ControlResult<Option<User>> {
        self.get_doc(
            "SELECT doc FROM users WHERE domain_id = ?1 AND name = ?2",
            &[&domain_id, &name],
        )
    }

    async fn put_credential(&self, cr: &Credential) -> ControlResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO credentials (access, user_id, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(access) DO UPDATE SET doc = excluded.doc",
                params![cr.access, cr.user_id, to_doc(cr)?],
            )?;
            Ok(())
        })
    }

    async fn get_credential(&self, access: &str) -> ControlResult<Option<Credential>> {
        self.get_doc("SELECT doc FROM credentials WHERE access = ?1", &[&access])
    }

    async fn list_domains(&self) -> ControlResult<Vec<Domain>> {
        self.get_docs("SELECT doc FROM domains ORDER BY name", &[])
    }

    async fn list_users(&self, domain_id: &str) -> ControlResult<Vec<User>> {
        self.get_docs(
            "SELECT doc FROM users WHERE domain_id = ?1 ORDER BY name",
            &[&domain_id],
        )
    }

    async fn delete_user(&self, id: &str) -> ControlResult<()> {
        self.tx(|tx| {
            tx.execute("DELETE FROM users WHERE id = ?1", [id])?;
            tx.execute("DELETE FROM group_members WHERE user_id = ?1", [id])?;
            tx.execute("DELETE FROM grants WHERE actor = 'user' AND actor_id = ?1", [id])?;
            tx.execute("DELETE FROM credentials WHERE user_id = ?1", [id])?;
            tx.execute("DELETE FROM tokens WHERE user_id = ?1", [id])?;
            Ok(())
        })
    }

    async fn list_credentials(&self, user_id: Option<&str>) -> ControlResult<Vec<Credential>> {
        match user_id {
            Some(u) => self.get_docs("SELECT doc FROM credentials WHERE user_id = ?1 ORDER BY access", &[&u]),
            None => self.get_docs("SELECT doc FROM credentials ORDER BY access", &[]),
        }
    }

    async fn delete_credential(&self, access: &str) -> ControlResult<()> {
        self.with(|c| {
            c.execute("DELETE FROM credentials WHERE access = ?1", [access])?;
            Ok(())
        })
    }

    async fn put_group(&self, g: &Group) -> ControlResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO groups (id, domain_id, name, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
                params![g.id, g.domain_id, g.name, to_doc(g)?],
            )?;
            Ok(())
        })
    }

    async fn get_group(&self, id: &str) -> ControlResult<Option<Group>> {
        self.get_doc("SELECT doc FROM groups WHERE id = ?1", &[&id])
    }

    async fn list_groups(&self, domain_id: &str) -> ControlResult<Vec<Group>> {
        self.get_docs(
            "SELECT doc FROM groups WHERE domain_id = ?1 ORDER BY name",
            &[&domain_id],
        )
    }

    async fn delete_group(&self, id: &str) -> ControlResult<()> {
        self.tx(|tx| {
            tx.execute("DELETE FROM groups WHERE id = ?1", [id])?;
            tx.execute("DELETE FROM group_members WHERE group_id = ?1", [id])?;
            tx.execute("DELETE FROM grants WHERE actor = 'group' AND actor_id = ?1", [id])?;
            Ok(())
        })
    }

    async fn add_member(&self, group_id: &str, user_id: &str) -> ControlResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)",
                [group_id, user_id],
            )?;
            Ok(())
        })
    }

    async fn remove_member(&self, group_id: &str, user_id: &str) -> ControlResult<bool> {
        self.with(|c| {
            Ok(c.execute(
                "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                [group_id, user_id],
            )? == 1)
        })
    }

    async fn members_of(&self, group_id: &str) -> ControlResult<Vec<String>> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY user_id")?;
            let rows = stmt
                .query_map([group_id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
    }

    async fn groups_of(&self, user_id: &str) -> ControlResult<Vec<String>> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT group_id FROM group_members WHERE user_id = ?1 ORDER BY group_id")?;
            let rows = stmt
                .query_map([user_id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
    }

    async fn put_role(&self, r: &CustomRole) -> ControlResult<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO roles (id, domain_id, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![r.id, r.domain_id, to_doc(r)?],
            )?;
            Ok(())
        })
    }

    async fn get_role(&self, id: &str) -> ControlResult<Option<CustomRole>> {
        self.get_doc("SELECT doc FROM roles WHERE id = ?1", &[&id])
    }

    async fn list_roles(&self, domain_id: &str) -> ControlResult<Vec<CustomRole>> {
        self.get_docs(
            "SELECT doc FROM roles WHERE domain_id = ?1 ORDER BY rowid",
            &[&domain_id],
        )
    }

    async fn delete_role(&self, id: &str) -> ControlResult<()> {
        self.tx(|tx| {
            tx.execute("DELETE FROM roles WHERE id = ?1", [id])?;
            tx.execute("DELETE FROM grants WHERE role_id = ?1", [id])?;
            Ok(())
        })
    }

    async fn put_grant(&self, g: &Grant) -> ControlResult<bool> {
        self.with(|c| {
            let n = c.execute(
                "INSERT OR IGNORE INTO grants (scope, scope_id, actor, actor_id, role_id, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![g.scope.as_str(), g.scope_id, g.actor.as_str(), g.actor_id, g.role_id, to_doc(g)?],
            )?;
            Ok(n == 1)
        })
    }

    async fn delete_grant(&self, g: &Grant) -> ControlResult<bool> {
        self.with(|c| {
            let n = c.execute(
                "DELETE FROM grants WHERE scope = ?1 AND scope_id = ?2 AND actor = ?3 AND actor_id = ?4 AND role_id = ?5",
                params![g.scope.as_str(), g.scope_id, g.actor.as_str(), g.actor_id, g.role_id],
            )?;
            Ok(n == 1)
        })
    }

    async fn grants_of(&self, actor_ids: &[String]) -> ControlResult<Vec<Grant>> {
        let mut out = Vec::new();
        for id in actor_ids {
            out.extend(self.get_docs::<Grant>("SELECT doc FROM grants WHERE actor_id = ?1", &[id])?);
        }
        Ok(out)
    }

    async fn grants_on(&self, scope_id: &str) -> ControlResult<Vec<Grant>> {
        self.get_docs("SELECT doc FROM grants WHERE scope_id = ?1", &[&scope_id])
    }

    async fn append_audit(&self, records: &[AuditRecord]) -> ControlResult<()> {
        self.tx(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO audit (time, domain_id, user_id, project_id, operation, decision, doc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for r in records {
                stmt.execute(params![
                    ts(r.time),
                    r.domain_id,
                    r.user_id,
                    r.project_id,
                    r.operation,
                    r.decision,
                    to_doc(r)?
                ])?;
            }
            Ok(())
        })
    }

    async fn query_audit(&self, f: &AuditFilter) -> ControlResult<Vec<AuditRecord>> {
        self.read(|c| {
            let mut sql = String::from("SELECT seq, doc FROM audit WHERE 1 = 1");
            let mut args: Vec<String> = Vec::new();
            let mut add = |clause: &str, v: String| {
                args.push(v);
                sql.push_str(&format!(" AND {clause} ?{}", args.len()));
            };
            if let Some(v) = &f.domain_id {
                add("domain_id =", v.clone());
            }
            if let Some(v) = &f.user_id {
                add("user_id =", v.clone());
            }
            if let Some(v) = &f.project_id {
                add("project_id =", v.clone());
            }
            if let Some(v) = &f.operation {
                add("operation =", v.clone());
            }
            if let Some(v) = &f.decision {
                add("decision =", v.clone());
            }
            if let Some(v) = f.since {
                add("time >=", ts(v));
            }
            if let Some(v) = f.until {
                add("time <", ts(v));
            }
            if let Some(v) = f.before_seq {
                add("seq <", v.to_string());
            }
            sql.push_str(&format!(" ORDER BY seq DESC LIMIT {}", f.limit.clamp(1, 1000)));
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(seq, doc)| {
                    let mut rec: AuditRecord = from_doc(&doc)?;
                    rec.seq = seq;
                    Ok(rec)
                })
                .collect()
        })
    }

    async fn prune_audit(&self, before: DateTime<Utc>, keep: usize) -> ControlResult<u64> {
        self.with(|c| {
            let old = c.execute("DELETE FROM audit WHERE time < ?1", [ts(before)])?;
            let extra = c.execute(
                "DELETE FROM audit WHERE seq <= (SELECT seq FROM audit ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
                [keep as i64],
            )?;
            Ok((old + extra) as u64)
        })
    }

    async fn put_token(&self, t: &TokenRecord) -> ControlResult<()> {
        self.with(|c| {
            // Expired tokens are pruned as new ones are issued.
            c.execute("DELETE FROM tokens WHERE expires_at < ?1", [ts(Utc::now())])?;
            c.execute(
                "INSERT INTO tokens (hash, user_id, expires_at, doc) VALUES (?1, ?2, ?3, ?4)",
                params![t.hash, t.user_id, ts(t.expires_at), to_doc(t)?],
            )?;
            Ok(())
        })
    }

    async fn get_token(&self, hash: &str) -> ControlResult<Option<TokenRecord>> {
        self.get_doc("SELECT doc FROM tokens WHERE hash = ?1", &[&hash])
    }

    async fn delete_tokens_of_user(&self, user_id: &str) -> ControlResult<u64> {
        self.with(|c| Ok(c.execute("DELETE FROM tokens WHERE user_id = ?1", [user_id])? as u64))
    }

    async fn create_servers(
        &self,
        servers: &[Server],
        volumes: &[Volume],
        ports: &[Port],
        jobs: &[Job],
        actions: &[InstanceAction],
    ) -> ControlResult<()> {
        self.tx(|tx| {
            let base: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM servers", [], |r| r.get(0))?;
            for (i, s) in servers.iter().enumerate() {
                let mut s = s.clone();
                s.seq = base + 1 + i as i64;
                write_server(tx, &s)?;
            }
            for v in volumes {
                write_volume(tx, v)?;
            }
            for p in ports {
                write_port(tx, p)?;
            }
            for j in jobs {
                write_job(tx, j)?;
            }
            for a in actions {
                write_action(tx, a)?;
            }
            Ok(())
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
        self.with(|c| {
            c.execute("DELETE FROM ports WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    async fn used_ips(&self, subnet_id: &str) -> ControlResult<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT ip FROM ports WHERE subnet_id = ?1")?;
            let rows = stmt
                .query_map([subnet_id], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    async fn insert_jobs(&self, jobs: &[Job]) -> ControlResult<()> {
        self.tx(|tx| {
            for j in jobs {
                write_job(tx, j)?;
            }
            Ok(())
        })
    }

    async fn get_job(&self, id: &str) -> ControlResult<Option<Job>> {
        self.get_doc("SELECT doc FROM jobs WHERE id = ?1", &[&id])
    }

    async fn sub_jobs(&self, parent_id: &str) -> ControlResult<Vec<Job>> {
        self.get_docs("SELECT doc FROM jobs WHERE parent_id = ?1 ORDER BY seq", &[&parent_id])
    }

    async fn runnable_jobs(&self, node: &str, now: DateTime<Utc>) -> ControlResult<Vec<Job>> {
        self.get_docs(
            "SELECT doc FROM jobs WHERE runnable = 1
               AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_until < ?2) ORDER BY seq",
            &[&node, &ts(now)],
        )
    }

    async fn lease_job(&self, job_id: &str, node: &str, until: DateTime<Utc>) -> ControlResult<bool> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE jobs SET lease_owner = ?1, lease_until = ?2
                 WHERE id = ?3 AND runnable = 1 AND (lease_owner IS NULL OR lease_owner = ?1 OR lease_until < ?4)",
                params![node, ts(until), job_id, ts(Utc::now())],
            )?;
            Ok(n == 1)
        })
    }

    async fn put_job(&self, job: &Job) -> ControlResult<()> {
        self.tx(|tx| write_job(tx, job))
    }

    async fn begin_step(&self, job_id: &str, index: i64, name: &str) -> ControlResult<i64> {
        self.tx(|tx| {
            tx.execute(
                "INSERT INTO job_steps (job_id, idx, name, started_at, attempts) VALUES (?1, ?2, ?3, ?4, 1)
                 ON CONFLICT(job_id, idx) DO UPDATE SET attempts = attempts + 1, started_at = excluded.started_at",
                params![job_id, index, name, ts(Utc::now())],
            )?;
            let attempts: i64 = tx.query_row(
                "SELECT attempts FROM job_steps WHERE job_id = ?1 AND idx = ?2",
                params![job_id, index],
                |r| r.get(0),
            )?;
            Ok(attempts)
        })
    }

    async fn complete_step(
        &self,
        job: &Job,
        index: i64,
        result: &str,
        server: Option<(&Server, i64)>,
    ) -> ControlResult<bool> {
        self.tx(|tx| {
            if let Some((s, expected)) = server {
                let n = tx.execute(
                    "UPDATE servers SET generation = ?1, deleted = ?2, doc = ?3 WHERE id = ?4 AND generation = ?5",
                    params![
                        s.generation,
                        (s.vm_state == VmState::Deleted) as i64,
                        to_doc(s)?,
                        s.id,
                        expected
                    ],
                )?;
                if n != 1 {
                    return Ok(false);
                }
            }
            tx.execute(
                "UPDATE job_steps SET finished_at = ?1, result = ?2 WHERE job_id = ?3 AND idx = ?4",
                params![ts(Utc::now()), result, job.id, index],
            )?;
            write_job(tx, job)?;
            Ok(true)
        })
    }

    async fn job_steps(&self, job_id: &str) -> ControlResult<Vec<JobStepRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT idx, name, started_at, finished_at, result, attempts FROM job_steps WHERE job_id = ?1 ORDER BY idx",
            )?;
            let rows = stmt
                .query_map([job_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let parse = |s: &str| {
                DateTime::parse_from_rfc3339(s)
                    .map(|d| d.with_timezone(&Utc))
                    .map_err(ControlError::internal)
            };
            rows.into_iter()
                .map(|(index, name, started, finished, result, attempts)| {
                    Ok(JobStepRecord {
                        job_id: job_id.to_string(),
                        index,
                        name,
                        started_at: parse(&started)?,
                        finished_at: finished.as_deref().map(parse).transpose()?,
                        result,
                        attempts,
                    })
                })
                .collect()
        })
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
