//! VPCs, networks, subnets, security groups and their rules. Each kind is a
//! table of documents beside the columns that are queried; what is "in
//! use" is asked in the delete's own statement, so a delete never races a
//! create that would have made it in use.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use super::{from_doc, key, to_doc, DbResult, SqliteStore};
use crate::domain::{ControlResult, FloatingIp, Network, Removal, SecurityGroup, SecurityGroupRule, Subnet, Vpc};
use crate::store::NetworkStore;

const VPC: &str = "SELECT doc FROM vpcs WHERE id = ?1";
const VPCS: &str = "SELECT doc FROM vpcs WHERE project_id = ?1
    UNION ALL SELECT doc FROM vpcs WHERE shared = 1 AND project_id <> ?1";
const PUT_VPC: &str = "INSERT INTO vpcs (id, project_id, shared, doc) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, shared = excluded.shared";
const DELETE_VPC: &str = "DELETE FROM vpcs WHERE id = ?1
    AND NOT EXISTS (SELECT 1 FROM networks WHERE vpc_id = ?1)";

const NETWORK: &str = "SELECT doc FROM networks WHERE id = ?1";
const NETWORKS: &str = "SELECT doc FROM networks WHERE project_id = ?1
    UNION ALL SELECT doc FROM networks WHERE shared = 1 AND project_id <> ?1";
const PUT_NETWORK: &str = "INSERT INTO networks (id, project_id, vpc_id, shared, doc) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, shared = excluded.shared, vpc_id = excluded.vpc_id";
const NETWORK_IN_USE: &str = "SELECT 1 FROM subnets s JOIN ports p ON p.subnet_id = s.id
    WHERE s.network_id = ?1 LIMIT 1";
const DELETE_NETWORK_SUBNETS: &str = "DELETE FROM subnets WHERE network_id = ?1";
const DELETE_NETWORK: &str = "DELETE FROM networks WHERE id = ?1";

const SUBNET: &str = "SELECT doc FROM subnets WHERE id = ?1";
const SUBNETS_OF: &str = "SELECT doc FROM subnets WHERE network_id = ?1 ORDER BY first_address";
const SUBNETS: &str = "SELECT doc FROM subnets WHERE project_id = ?1
    UNION ALL SELECT doc FROM subnets WHERE shared = 1 AND project_id <> ?1";
const OVERLAP: &str = "SELECT 1 FROM subnets WHERE scope = ?1 AND first_address <= ?3 AND last_address >= ?2 LIMIT 1";
const INSERT_SUBNET: &str = "INSERT INTO subnets (id, project_id, network_id, shared, scope, first_address,
    last_address, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const UPDATE_SUBNET: &str = "UPDATE subnets SET doc = ?2, shared = ?3 WHERE id = ?1";
const SUBNET_IN_USE: &str = "SELECT 1 FROM ports WHERE subnet_id = ?1 LIMIT 1";
const DELETE_SUBNET: &str = "DELETE FROM subnets WHERE id = ?1";

const GROUP: &str = "SELECT doc FROM security_groups WHERE id = ?1";
const GROUPS: &str = "SELECT doc FROM security_groups WHERE project_id = ?1";
const GROUP_NAMED: &str = "SELECT doc FROM security_groups WHERE project_id = ?1 AND name = ?2 LIMIT 1";
const PUT_GROUP: &str = "INSERT INTO security_groups (id, project_id, name, doc) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, name = excluded.name";
const DELETE_GROUP_RULES: &str = "DELETE FROM security_group_rules WHERE security_group_id = ?1";
const DELETE_GROUP: &str = "DELETE FROM security_groups WHERE id = ?1";
const GROUP_IN_USE: &str = "SELECT 1 FROM security_group_rules WHERE remote_group_id = ?1
    AND security_group_id <> ?1 LIMIT 1";

const RULE: &str = "SELECT doc FROM security_group_rules WHERE id = ?1";
const RULES_OF: &str = "SELECT doc FROM security_group_rules WHERE security_group_id = ?1";
const RULES: &str = "SELECT doc FROM security_group_rules WHERE project_id = ?1";
const INSERT_RULE: &str = "INSERT OR IGNORE INTO security_group_rules (id, security_group_id, project_id,
    remote_group_id, identity, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const DELETE_RULE: &str = "DELETE FROM security_group_rules WHERE id = ?1";

const FLOATING: &str = "SELECT doc FROM floating_ips WHERE id = ?1";
const FLOATINGS: &str = "SELECT doc FROM floating_ips WHERE project_id = ?1 ORDER BY id";
const FLOATING_OF_PORT: &str = "SELECT doc FROM floating_ips WHERE port_id = ?1";
const PORT_MAPPED: &str = "SELECT 1 FROM floating_ips WHERE port_id = ?1 AND id <> ?2 LIMIT 1";
const PUT_FLOATING: &str = "INSERT INTO floating_ips (id, project_id, port_id, doc) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT(id) DO UPDATE SET port_id = excluded.port_id, doc = excluded.doc";
const DELETE_FLOATING: &str = "DELETE FROM floating_ips WHERE id = ?1 RETURNING doc";

/// Every statement of this file, for the plan checks.
#[cfg(test)]
pub(super) const STATEMENTS: &[&str] = &[
    VPC,
    VPCS,
    PUT_VPC,
    DELETE_VPC,
    NETWORK,
    NETWORKS,
    PUT_NETWORK,
    NETWORK_IN_USE,
    DELETE_NETWORK_SUBNETS,
    DELETE_NETWORK,
    SUBNET,
    SUBNETS_OF,
    SUBNETS,
    OVERLAP,
    INSERT_SUBNET,
    UPDATE_SUBNET,
    SUBNET_IN_USE,
    DELETE_SUBNET,
    GROUP,
    GROUPS,
    GROUP_NAMED,
    PUT_GROUP,
    DELETE_GROUP_RULES,
    DELETE_GROUP,
    GROUP_IN_USE,
    RULE,
    RULES_OF,
    RULES,
    INSERT_RULE,
    DELETE_RULE,
    FLOATING,
    FLOATINGS,
    FLOATING_OF_PORT,
    PORT_MAPPED,
    PUT_FLOATING,
    DELETE_FLOATING,
];

/// The first and last address of a subnet's block, as integers.
fn bounds(s: &Subnet) -> (i64, i64) {
    match s.range() {
        Some(r) => (u32::from(r.network()) as i64, u32::from(r.broadcast()) as i64),
        None => (0, -1),
    }
}

fn exists(c: &Connection, sql: &str, id: &str) -> DbResult<bool> {
    Ok(c.prepare_cached(sql)?.query_row([id], |_| Ok(())).optional()?.is_some())
}

fn removed(n: usize) -> Removal {
    if n == 0 {
        Removal::NotFound
    } else {
        Removal::Deleted
    }
}

fn insert_rule(c: &Connection, r: &SecurityGroupRule, doc: &str) -> DbResult<bool> {
    let n = c.prepare_cached(INSERT_RULE)?.execute(params![
        r.id,
        r.security_group_id,
        r.project_id,
        r.remote_group_id,
        r.identity(),
        doc
    ])?;
    Ok(n == 1)
}

#[async_trait]
impl NetworkStore for SqliteStore {
    async fn put_vpc(&self, v: &Vpc) -> ControlResult<()> {
        let (id, project, shared, doc) = (v.id.clone(), v.project_id.clone(), v.shared, to_doc(v)?);
        self.write(move |c| {
            c.prepare_cached(PUT_VPC)?.execute(params![id, project, shared, doc])?;
            Ok(())
        })
        .await
    }

    async fn get_vpc(&self, id: &str) -> ControlResult<Option<Vpc>> {
        self.get_doc(VPC, key![id]).await
    }

    async fn list_vpcs(&self, project_id: &str) -> ControlResult<Vec<Vpc>> {
        self.get_docs(VPCS, key![project_id]).await
    }

    async fn delete_vpc(&self, id: &str) -> ControlResult<Removal> {
        let id = id.to_string();
        self.write(move |c| {
            if c.prepare_cached(DELETE_VPC)?.execute([&id])? == 1 {
                return Ok(Removal::Deleted);
            }
            Ok(if exists(c, VPC, &id)? {
                Removal::InUse
            } else {
                Removal::NotFound
            })
        })
        .await
    }

    async fn put_network(&self, n: &Network) -> ControlResult<()> {
        let (id, project, vpc, shared, doc) = (
            n.id.clone(),
            n.project_id.clone(),
            n.vpc_id.clone(),
            n.shared,
            to_doc(n)?,
        );
        self.write(move |c| {
            c.prepare_cached(PUT_NETWORK)?
                .execute(params![id, project, vpc, shared, doc])?;
            Ok(())
        })
        .await
    }

    async fn get_network(&self, id: &str) -> ControlResult<Option<Network>> {
        self.get_doc(NETWORK, key![id]).await
    }

    async fn list_networks(&self, project_id: &str) -> ControlResult<Vec<Network>> {
        self.get_docs(NETWORKS, key![project_id]).await
    }

    async fn delete_network(&self, id: &str) -> ControlResult<Removal> {
        let id = id.to_string();
        self.write(move |c| {
            if exists(c, NETWORK_IN_USE, &id)? {
                return Ok(Removal::InUse);
            }
            c.prepare_cached(DELETE_NETWORK_SUBNETS)?.execute([&id])?;
            Ok(removed(c.prepare_cached(DELETE_NETWORK)?.execute([&id])?))
        })
        .await
    }

    async fn create_subnet(&self, s: &Subnet, scope: &str) -> ControlResult<bool> {
        let (first, last) = bounds(s);
        let (id, project, network, shared, scope, doc) = (
            s.id.clone(),
            s.project_id.clone(),
            s.network_id.clone(),
            s.shared,
            scope.to_string(),
            to_doc(s)?,
        );
        self.write(move |c| {
            let overlaps = c
                .prepare_cached(OVERLAP)?
                .query_row(params![scope, first, last], |_| Ok(()))
                .optional()?
                .is_some();
            if overlaps {
                return Ok(false);
            }
            c.prepare_cached(INSERT_SUBNET)?
                .execute(params![id, project, network, shared, scope, first, last, doc])?;
            Ok(true)
        })
        .await
    }

    async fn update_subnet(&self, s: &Subnet) -> ControlResult<()> {
        let (id, shared, doc) = (s.id.clone(), s.shared, to_doc(s)?);
        self.write(move |c| {
            c.prepare_cached(UPDATE_SUBNET)?.execute(params![id, doc, shared])?;
            Ok(())
        })
        .await
    }

    async fn get_subnet(&self, id: &str) -> ControlResult<Option<Subnet>> {
        self.get_doc(SUBNET, key![id]).await
    }

    async fn subnets_of(&self, network_id: &str) -> ControlResult<Vec<Subnet>> {
        self.get_docs(SUBNETS_OF, key![network_id]).await
    }

    async fn list_subnets(&self, project_id: &str) -> ControlResult<Vec<Subnet>> {
        self.get_docs(SUBNETS, key![project_id]).await
    }

    async fn delete_subnet(&self, id: &str) -> ControlResult<Removal> {
        let id = id.to_string();
        self.write(move |c| {
            if exists(c, SUBNET_IN_USE, &id)? {
                return Ok(Removal::InUse);
            }
            Ok(removed(c.prepare_cached(DELETE_SUBNET)?.execute([&id])?))
        })
        .await
    }

    async fn put_security_group(&self, g: &SecurityGroup) -> ControlResult<()> {
        let (id, project, name, doc) = (g.id.clone(), g.project_id.clone(), g.name.clone(), to_doc(g)?);
        self.write(move |c| {
            c.prepare_cached(PUT_GROUP)?.execute(params![id, project, name, doc])?;
            Ok(())
        })
        .await
    }

    async fn get_security_group(&self, id: &str) -> ControlResult<Option<SecurityGroup>> {
        self.get_doc(GROUP, key![id]).await
    }

    async fn list_security_groups(&self, project_id: &str) -> ControlResult<Vec<SecurityGroup>> {
        self.get_docs(GROUPS, key![project_id]).await
    }

    async fn security_group_named(&self, project_id: &str, name: &str) -> ControlResult<Option<SecurityGroup>> {
        self.get_doc(GROUP_NAMED, key![project_id, name]).await
    }

    async fn ensure_security_group(
        &self,
        g: &SecurityGroup,
        rules: &[SecurityGroupRule],
    ) -> ControlResult<SecurityGroup> {
        let group = g.clone();
        let doc = to_doc(g)?;
        let rules = rules
            .iter()
            .map(|r| Ok((r.clone(), to_doc(r)?)))
            .collect::<ControlResult<Vec<_>>>()?;
        self.write(move |c| {
            let found: Option<String> = c
                .prepare_cached(GROUP_NAMED)?
                .query_row(params![group.project_id, group.name], |r| r.get(0))
                .optional()?;
            if let Some(doc) = found {
                return Ok(from_doc(&doc)?);
            }
            c.prepare_cached(PUT_GROUP)?
                .execute(params![group.id, group.project_id, group.name, doc])?;
            for (r, doc) in &rules {
                insert_rule(c, r, doc)?;
            }
            Ok(group)
        })
        .await
    }

    async fn delete_security_group(&self, id: &str) -> ControlResult<Removal> {
        let id = id.to_string();
        self.write(move |c| {
            if exists(c, GROUP_IN_USE, &id)? {
                return Ok(Removal::InUse);
            }
            c.prepare_cached(DELETE_GROUP_RULES)?.execute([&id])?;
            Ok(removed(c.prepare_cached(DELETE_GROUP)?.execute([&id])?))
        })
        .await
    }

    async fn create_rule(&self, r: &SecurityGroupRule) -> ControlResult<bool> {
        let (rule, doc) = (r.clone(), to_doc(r)?);
        self.write(move |c| insert_rule(c, &rule, &doc)).await
    }

    async fn get_rule(&self, id: &str) -> ControlResult<Option<SecurityGroupRule>> {
        self.get_doc(RULE, key![id]).await
    }

    async fn rules_of(&self, group_id: &str) -> ControlResult<Vec<SecurityGroupRule>> {
        self.get_docs(RULES_OF, key![group_id]).await
    }

    async fn list_rules(&self, project_id: &str) -> ControlResult<Vec<SecurityGroupRule>> {
        self.get_docs(RULES, key![project_id]).await
    }

    async fn delete_rule(&self, id: &str) -> ControlResult<Removal> {
        let id = id.to_string();
        self.write(move |c| Ok(removed(c.prepare_cached(DELETE_RULE)?.execute([&id])?)))
            .await
    }

    async fn put_floating_ip(&self, f: &FloatingIp) -> ControlResult<bool> {
        let (id, project, port, doc) = (f.id.clone(), f.project_id.clone(), f.port_id.clone(), to_doc(f)?);
        self.write(move |c| {
            if let Some(port) = &port {
                let mapped = c
                    .prepare_cached(PORT_MAPPED)?
                    .query_row(params![port, id], |_| Ok(()))
                    .optional()?
                    .is_some();
                if mapped {
                    return Ok(false);
                }
            }
            c.prepare_cached(PUT_FLOATING)?
                .execute(params![id, project, port, doc])?;
            Ok(true)
        })
        .await
    }

    async fn get_floating_ip(&self, id: &str) -> ControlResult<Option<FloatingIp>> {
        self.get_doc(FLOATING, key![id]).await
    }

    async fn list_floating_ips(&self, project_id: &str) -> ControlResult<Vec<FloatingIp>> {
        self.get_docs(FLOATINGS, key![project_id]).await
    }

    async fn floating_ips_of(&self, port_ids: &[String]) -> ControlResult<Vec<FloatingIp>> {
        let ids = port_ids.to_vec();
        self.read(move |c| {
            let mut out = Vec::new();
            let mut stmt = c.prepare_cached(FLOATING_OF_PORT)?;
            for id in &ids {
                let docs = stmt.query_map([id], |r| r.get::<_, String>(0))?;
                for doc in docs {
                    out.push(from_doc(&doc?)?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn delete_floating_ip(&self, id: &str) -> ControlResult<Removal> {
        let id = id.to_string();
        self.write(move |c| {
            let doc: Option<String> = c
                .prepare_cached(DELETE_FLOATING)?
                .query_row([&id], |r| r.get(0))
                .optional()?;
            let Some(doc) = doc else { return Ok(Removal::NotFound) };
            let f: FloatingIp = from_doc(&doc)?;
            super::addresses::delete_port(c, &f.address_port_id)?;
            Ok(Removal::Deleted)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every statement here is a keyed search, never a scan of a table.
    #[test]
    fn every_statement_is_an_index_seek() {
        for sql in STATEMENTS {
            let plan = super::super::query_plan(sql);
            for step in &plan {
                let scan = step.starts_with("SCAN") && !step.contains("USING");
                assert!(!scan && !step.contains("TEMP B-TREE"), "{sql}: {plan:?}");
            }
        }
    }
}
