//! The tables and indexes, created when missing on every open. Sequence
//! numbers come from `counters` (seeded once from existing rows) and port
//! addresses from `address_pools` (see `addresses.rs`), so no write looks
//! at the size of a table.

pub(super) const SCHEMA: &str = r#"
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
    generation INTEGER NOT NULL, deleted INTEGER NOT NULL, doc TEXT NOT NULL,
    host TEXT, flavor_id TEXT, source_host TEXT, old_flavor_id TEXT);
CREATE TABLE IF NOT EXISTS host_flavors (host TEXT NOT NULL, flavor_id TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (host, flavor_id));
CREATE INDEX IF NOT EXISTS servers_project ON servers(project_id, seq);
CREATE TABLE IF NOT EXISTS volumes (id TEXT PRIMARY KEY, server_id TEXT, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS volumes_server ON volumes(server_id);
CREATE TABLE IF NOT EXISTS ports (id TEXT PRIMARY KEY, server_id TEXT, subnet_id TEXT NOT NULL,
    ip TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ports_server ON ports(server_id);
DROP INDEX IF EXISTS ports_subnet;
CREATE INDEX IF NOT EXISTS ports_subnet_ip ON ports(subnet_id, ip);
CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, parent_id TEXT, project_id TEXT NOT NULL,
    status TEXT NOT NULL, runnable INTEGER NOT NULL, lease_owner TEXT, lease_until TEXT,
    seq INTEGER NOT NULL, doc TEXT NOT NULL, lease_epoch INTEGER NOT NULL DEFAULT 0);
DROP INDEX IF EXISTS jobs_parent;
CREATE INDEX IF NOT EXISTS jobs_parent_status ON jobs(parent_id, runnable, status) WHERE parent_id IS NOT NULL;
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
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS keypairs (user_id TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,
    PRIMARY KEY (user_id, name));
CREATE TABLE IF NOT EXISTS quotas (project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
    PRIMARY KEY (project_id, resource));
CREATE TABLE IF NOT EXISTS images (id TEXT PRIMARY KEY, owner TEXT, visibility TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS images_owner ON images(owner, id);
CREATE INDEX IF NOT EXISTS images_visibility ON images(visibility, id);
CREATE TABLE IF NOT EXISTS image_members (image_id TEXT NOT NULL, member_id TEXT NOT NULL, status TEXT NOT NULL,
    doc TEXT NOT NULL, PRIMARY KEY (image_id, member_id));
CREATE INDEX IF NOT EXISTS image_members_member ON image_members(member_id, status);
INSERT OR IGNORE INTO counters (name, value) SELECT 'jobs', COALESCE(MAX(seq), 0) FROM jobs
    WHERE NOT EXISTS (SELECT 1 FROM counters WHERE name = 'jobs');
INSERT OR IGNORE INTO counters (name, value) SELECT 'servers', COALESCE(MAX(seq), 0) FROM servers
    WHERE NOT EXISTS (SELECT 1 FROM counters WHERE name = 'servers');
CREATE TABLE IF NOT EXISTS address_pools (subnet_id TEXT PRIMARY KEY, network INTEGER NOT NULL,
    prefix INTEGER NOT NULL, next_offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS vpcs (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, shared INTEGER NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS vpcs_project ON vpcs(project_id);
CREATE INDEX IF NOT EXISTS vpcs_shared ON vpcs(shared) WHERE shared = 1;
CREATE TABLE IF NOT EXISTS networks (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, vpc_id TEXT,
    shared INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS networks_project ON networks(project_id);
CREATE INDEX IF NOT EXISTS networks_shared ON networks(shared) WHERE shared = 1;
CREATE INDEX IF NOT EXISTS networks_vpc ON networks(vpc_id);
CREATE TABLE IF NOT EXISTS subnets (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, network_id TEXT NOT NULL,
    shared INTEGER NOT NULL, scope TEXT NOT NULL, first_address INTEGER NOT NULL, last_address INTEGER NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS subnets_project ON subnets(project_id);
CREATE INDEX IF NOT EXISTS subnets_shared ON subnets(shared) WHERE shared = 1;
CREATE INDEX IF NOT EXISTS subnets_network ON subnets(network_id, first_address);
CREATE INDEX IF NOT EXISTS subnets_scope ON subnets(scope, first_address);
CREATE TABLE IF NOT EXISTS security_groups (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS security_groups_project ON security_groups(project_id, name);
CREATE TABLE IF NOT EXISTS security_group_rules (id TEXT PRIMARY KEY, security_group_id TEXT NOT NULL,
    project_id TEXT NOT NULL, remote_group_id TEXT, identity TEXT NOT NULL, doc TEXT NOT NULL,
    UNIQUE (security_group_id, identity));
CREATE INDEX IF NOT EXISTS security_group_rules_project ON security_group_rules(project_id);
CREATE INDEX IF NOT EXISTS security_group_rules_remote ON security_group_rules(remote_group_id);
CREATE TABLE IF NOT EXISTS floating_ips (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, port_id TEXT,
    doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS floating_ips_project ON floating_ips(project_id, id);
CREATE INDEX IF NOT EXISTS floating_ips_port ON floating_ips(port_id) WHERE port_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS address_released (subnet_id TEXT NOT NULL, host_offset INTEGER NOT NULL,
    PRIMARY KEY (subnet_id, host_offset)) WITHOUT ROWID;
"#;

/// Brings a database made by an earlier version up to [`SCHEMA`]: columns
/// added since are added here (CREATE TABLE IF NOT EXISTS leaves old
/// tables as they were).
pub(super) fn migrate(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    if lacks_column(conn, "jobs", "lease_epoch")? {
        conn.execute_batch("ALTER TABLE jobs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0")?;
    }
    if lacks_column(conn, "servers", "host")? {
        // Placement counts servers per host and flavor; fill the columns it
        // reads from the documents, once, and count what is there.
        conn.execute_batch(
            "BEGIN;
             ALTER TABLE servers ADD COLUMN host TEXT;
             ALTER TABLE servers ADD COLUMN flavor_id TEXT;
             ALTER TABLE servers ADD COLUMN source_host TEXT;
             ALTER TABLE servers ADD COLUMN old_flavor_id TEXT;
             UPDATE servers SET host = json_extract(doc, '$.host'), flavor_id = json_extract(doc, '$.flavor_id'),
                 source_host = json_extract(doc, '$.source_host'), old_flavor_id = json_extract(doc, '$.old_flavor_id');
             DELETE FROM host_flavors;
             INSERT INTO host_flavors (host, flavor_id, count)
                 SELECT host, flavor_id, SUM(n) FROM (
                     SELECT host, flavor_id, 1 AS n FROM servers WHERE deleted = 0 AND host IS NOT NULL
                     UNION ALL
                     SELECT source_host, old_flavor_id, 1 FROM servers
                         WHERE deleted = 0 AND source_host IS NOT NULL AND old_flavor_id IS NOT NULL)
                 GROUP BY host, flavor_id;
             COMMIT;",
        )?;
    }
    // The network and block storage APIs list a project's ports and volumes.
    for table in ["ports", "volumes"] {
        if lacks_column(conn, table, "project_id")? {
            conn.execute_batch(&format!(
                "BEGIN;
                 ALTER TABLE {table} ADD COLUMN project_id TEXT;
                 UPDATE {table} SET project_id = json_extract(doc, '$.project_id');
                 COMMIT;"
            ))?;
        }
        conn.execute_batch(&format!(
            "CREATE INDEX IF NOT EXISTS {table}_project ON {table}(project_id, id)"
        ))?;
    }
    // Quotas count a project's live servers by flavor without reading the
    // deleted ones (the columns exist from here on, on old tables too).
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS servers_live_flavor ON servers(project_id, flavor_id) WHERE deleted = 0",
    )?;
    default_network_ports(conn)
}

/// Whether a table made by an earlier version lacks a column.
fn lacks_column(conn: &rusqlite::Connection, table: &str, column: &str) -> rusqlite::Result<bool> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |r| r.get(0),
    )?;
    Ok(n == 0)
}

/// Ports on the default network written before networks were records named
/// the Huawei subnet id where the Neutron subnet's id now goes. Moves them
/// (and the address pool) to the default Neutron subnet, once: afterwards
/// the first query finds nothing, with one index seek.
fn default_network_ports(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    use crate::domain::{DEFAULT_NETWORK_NAME, DEFAULT_NEUTRON_SUBNET_ID, DEFAULT_SUBNET_ID, DEFAULT_VPC_ID};
    use rusqlite::OptionalExtension;
    let old = conn
        .query_row(
            "SELECT 1 FROM ports WHERE subnet_id = ?1 LIMIT 1",
            [DEFAULT_SUBNET_ID],
            |_| Ok(()),
        )
        .optional()?;
    if old.is_none() {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute(
        "UPDATE ports SET subnet_id = ?2, doc = json_set(doc, '$.subnet_id', ?2, '$.network_id', ?1,
             '$.network_name', ?3, '$.vpc_id', ?4) WHERE subnet_id = ?1",
        rusqlite::params![
            DEFAULT_SUBNET_ID,
            DEFAULT_NEUTRON_SUBNET_ID,
            DEFAULT_NETWORK_NAME,
            DEFAULT_VPC_ID
        ],
    )?;
    tx.execute(
        "UPDATE OR REPLACE address_pools SET subnet_id = ?2 WHERE subnet_id = ?1",
        [DEFAULT_SUBNET_ID, DEFAULT_NEUTRON_SUBNET_ID],
    )?;
    tx.execute(
        "UPDATE OR REPLACE address_released SET subnet_id = ?2 WHERE subnet_id = ?1",
        [DEFAULT_SUBNET_ID, DEFAULT_NEUTRON_SUBNET_ID],
    )?;
    tx.commit()
}
