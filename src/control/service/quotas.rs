//! Quotas: each project's limits (the configured defaults with the
//! overrides the account administrator set), its usage, and the check every
//! create makes before it writes. Usage is counted from indexed per-project
//! reads that the quota itself bounds (live servers by flavor, the project's
//! volumes, networks, ports, groups, rules and floating IPs), never from
//! history. A check and the write it guards hold one of a few striped locks
//! per project, so two creates on this node cannot both take the last unit.

use std::collections::BTreeMap;

use super::Service;
use crate::catalog::OpId;
use crate::domain::quota::{effective, fits, QuotaSet, Resource};
use crate::domain::{Caller, ControlError, ControlResult};

/// How many locks the projects' quota checks are spread over.
pub const QUOTA_LOCKS: usize = 64;

/// The locks quota checks take, one per stripe of projects.
pub type QuotaLocks = [tokio::sync::Mutex<()>; QUOTA_LOCKS];

pub fn quota_locks() -> QuotaLocks {
    std::array::from_fn(|_| tokio::sync::Mutex::new(()))
}

impl Service {
    /// The project's limits: defaults with its overrides.
    pub async fn quotas(&self, project_id: &str) -> ControlResult<QuotaSet> {
        Ok(effective(
            &self.quota_defaults,
            &self.store.quota_overrides(project_id).await?,
        ))
    }

    /// The region's defaults.
    pub fn default_quotas(&self) -> QuotaSet {
        effective(&self.quota_defaults, &QuotaSet::new())
    }

    /// What the project uses of each of `resources`.
    pub async fn usage(&self, project_id: &str, resources: &[Resource]) -> ControlResult<BTreeMap<Resource, i64>> {
        let mut out = BTreeMap::new();
        let wants = |r: &[Resource]| r.iter().any(|x| resources.contains(x));
        if wants(&[Resource::Instances, Resource::Cores, Resource::Ram]) {
            let (mut n, mut cores, mut ram) = (0, 0, 0);
            for (flavor_id, count) in self.store.live_servers_by_flavor(project_id).await? {
                let f = self.inventory.flavor(&flavor_id);
                n += count;
                cores += count * f.map(|f| f.vcpus).unwrap_or(0);
                ram += count * f.map(|f| f.ram_mb).unwrap_or(0);
            }
            out.extend([(Resource::Instances, n), (Resource::Cores, cores), (Resource::Ram, ram)]);
        }
        if wants(&[Resource::Volumes, Resource::Gigabytes]) {
            let (n, gb) = self.store.volume_usage(project_id).await?;
            out.extend([(Resource::Volumes, n), (Resource::Gigabytes, gb)]);
        }
        let own = |owner: &str| owner == project_id;
        for r in resources {
            let n = match r {
                Resource::Networks => self
                    .store
                    .list_networks(project_id)
                    .await?
                    .iter()
                    .filter(|n| own(&n.project_id))
                    .count(),
                Resource::Subnets => self
                    .store
                    .list_subnets(project_id)
                    .await?
                    .iter()
                    .filter(|s| own(&s.project_id))
                    .count(),
                Resource::Ports => self.store.list_ports(project_id).await?.len(),
                Resource::SecurityGroups => self
                    .store
                    .list_security_groups(project_id)
                    .await?
                    .iter()
                    .filter(|g| own(&g.project_id))
                    .count(),
                Resource::SecurityGroupRules => self.store.list_rules(project_id).await?.len(),
                Resource::FloatingIps => self.store.list_floating_ips(project_id).await?.len(),
                _ => continue,
            };
            out.insert(*r, n as i64);
        }
        Ok(out)
    }

    /// The check a create makes before it writes: `None` (no lock, nothing
    /// counted) when every resource asked for is unlimited; otherwise the
    /// project's quota lock, held by the caller until its write is done,
    /// once the usage is counted and found within the limits.
    pub async fn reserve_quota(
        &self,
        project_id: &str,
        wants: &[(Resource, i64)],
    ) -> ControlResult<Option<tokio::sync::MutexGuard<'_, ()>>> {
        let limits = self.quotas(project_id).await?;
        if !wants
            .iter()
            .any(|(r, n)| *n > 0 && limits.get(r).is_some_and(|l| *l >= 0))
        {
            return Ok(None);
        }
        let guard = self.quota_guard(project_id).await;
        self.check_limits(project_id, &limits, wants).await?;
        Ok(Some(guard))
    }

    /// Refuses what would take the project over any of its limits; checks
    /// only the resources asked for, and reads nothing when they are all
    /// unlimited.
    pub async fn within_quota(&self, project_id: &str, wants: &[(Resource, i64)]) -> ControlResult<()> {
        let limits = self.quotas(project_id).await?;
        self.check_limits(project_id, &limits, wants).await
    }

    async fn check_limits(&self, project_id: &str, limits: &QuotaSet, wants: &[(Resource, i64)]) -> ControlResult<()> {
        let limited: Vec<(Resource, i64)> = wants
            .iter()
            .copied()
            .filter(|(r, n)| *n > 0 && limits.get(r).is_some_and(|l| *l >= 0))
            .collect();
        if limited.is_empty() {
            return Ok(());
        }
        let kinds: Vec<Resource> = limited.iter().map(|(r, _)| *r).collect();
        let used = self.usage(project_id, &kinds).await?;
        for (r, n) in limited {
            let (limit, used) = (limits[&r], used.get(&r).copied().unwrap_or(0));
            if !fits(limit, used, n) {
                return Err(ControlError::OverQuota {
                    resource: r,
                    requested: n,
                    used,
                    limit,
                });
            }
        }
        Ok(())
    }

    /// The lock a project's quota check and its write hold together.
    async fn quota_guard(&self, project_id: &str) -> tokio::sync::MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        project_id.hash(&mut h);
        self.quota_locks[(h.finish() as usize) % QUOTA_LOCKS].lock().await
    }

    /// The limits of `project_id` as the caller may read them: its own
    /// project, or any project of its account for the administrator.
    pub async fn project_quotas(&self, caller: &Caller, op: OpId, project_id: &str) -> ControlResult<QuotaSet> {
        self.check_quota_target(caller, op, project_id).await?;
        self.quotas(project_id).await
    }

    /// Sets a project's limits (the account administrator's call).
    pub async fn set_project_quotas(
        &self,
        caller: &Caller,
        op: OpId,
        project_id: &str,
        limits: QuotaSet,
    ) -> ControlResult<QuotaSet> {
        self.check_quota_target(caller, op, project_id).await?;
        if let Some((r, l)) = limits.iter().find(|(_, l)| **l < -1) {
            return Err(ControlError::bad_request(format!(
                "Quota limit {l} for {} must be -1 or more.",
                r.key()
            )));
        }
        self.store.set_quotas(project_id, &limits).await?;
        self.quotas(project_id).await
    }

    /// Drops a project's overrides (the account administrator's call).
    pub async fn reset_project_quotas(&self, caller: &Caller, op: OpId, project_id: &str) -> ControlResult<()> {
        self.check_quota_target(caller, op, project_id).await?;
        self.store.clear_quotas(project_id).await
    }

    /// The row is authorized; a project other than the caller's must be one
    /// of its account's (else not found).
    async fn check_quota_target(&self, caller: &Caller, op: OpId, project_id: &str) -> ControlResult<()> {
        self.authorize(caller, op, None).await?;
        if project_id == caller.project_id {
            return Ok(());
        }
        match self.store.get_project(project_id).await? {
            Some(p) if p.domain_id == caller.domain_id => Ok(()),
            _ => Err(ControlError::NotFound {
                code: "Ecs.0005",
                message: format!("Project {project_id} could not be found."),
            }),
        }
    }
}
