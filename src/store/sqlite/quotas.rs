//! Quota overrides (one row per project and resource) and the usage counts
//! only quotas need.

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteStore;
use crate::domain::quota::{QuotaSet, Resource};
use crate::domain::ControlResult;
use crate::store::QuotaStore;

#[async_trait]
impl QuotaStore for SqliteStore {
    async fn quota_overrides(&self, project_id: &str) -> ControlResult<QuotaSet> {
        let project_id = project_id.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached("SELECT resource, hard_limit FROM quotas WHERE project_id = ?1")?;
            let rows = stmt.query_map([&project_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let mut out = QuotaSet::new();
            for row in rows {
                let (key, limit) = row?;
                // A resource this version no longer knows is ignored.
                if let Some(r) = Resource::parse(&key) {
                    out.insert(r, limit);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn set_quotas(&self, project_id: &str, limits: &QuotaSet) -> ControlResult<()> {
        let project_id = project_id.to_string();
        let limits: Vec<(&'static str, i64)> = limits.iter().map(|(r, l)| (r.key(), *l)).collect();
        self.write(move |c| {
            for (key, limit) in &limits {
                c.prepare_cached(
                    "INSERT INTO quotas (project_id, resource, hard_limit) VALUES (?1, ?2, ?3)
                     ON CONFLICT(project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit",
                )?
                .execute(params![project_id, key, limit])?;
            }
            Ok(())
        })
        .await
    }

    async fn clear_quotas(&self, project_id: &str) -> ControlResult<()> {
        let project_id = project_id.to_string();
        self.write(move |c| {
            c.prepare_cached("DELETE FROM quotas WHERE project_id = ?1")?
                .execute([project_id])?;
            Ok(())
        })
        .await
    }

    async fn live_servers_by_flavor(&self, project_id: &str) -> ControlResult<Vec<(String, i64)>> {
        let project_id = project_id.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT flavor_id, COUNT(*) FROM servers WHERE project_id = ?1 AND deleted = 0 GROUP BY flavor_id",
            )?;
            let rows = stmt.query_map([&project_id], |r| {
                Ok((r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get::<_, i64>(1)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    async fn volume_usage(&self, project_id: &str) -> ControlResult<(i64, i64)> {
        let project_id = project_id.to_string();
        self.read(move |c| {
            c.prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(json_extract(doc, '$.size_gb')), 0) FROM volumes WHERE project_id = ?1",
            )?
            .query_row([&project_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(Into::into)
        })
        .await
    }
}
