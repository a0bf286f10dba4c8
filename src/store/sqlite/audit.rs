//! The audit trail: appended in batches, queried newest first, pruned.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{from_doc, to_doc, ts, SqliteStore};
use crate::domain::{AuditFilter, AuditRecord, ControlResult};
use crate::store::AuditStore;

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, records: &[AuditRecord]) -> ControlResult<()> {
        let records = records.to_owned();
        self.write(move |tx| {
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
                    to_doc(&r)?
                ])?;
            }
            Ok(())
        })
        .await
    }

    async fn query_audit(&self, f: &AuditFilter) -> ControlResult<Vec<AuditRecord>> {
        let f = f.to_owned();
        self.read(move |c| {
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
        .await
    }

    async fn prune_audit(&self, before: DateTime<Utc>, keep: usize) -> ControlResult<u64> {
        self.write(move |c| {
            let old = c.execute("DELETE FROM audit WHERE time < ?1", [ts(before)])?;
            // Sequence numbers only grow: everything `keep` below the newest
            // goes, found from the key's end (an OFFSET walked every kept row).
            let extra = c.execute(
                "DELETE FROM audit WHERE seq <= (SELECT MAX(seq) FROM audit) - ?1",
                [i64::try_from(keep).unwrap_or(i64::MAX)],
            )?;
            Ok((old + extra) as u64)
        })
        .await
    }
}
