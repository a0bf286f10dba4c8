//! Accounts (Keystone domains) and their projects. Only the operator
//! creates accounts; each comes with its region project.

use super::{
    check_name_and_description, conflict, invalid, unique_conflict, unique_in_domain, visible, Actor, Admin, WRITES,
};
use crate::domain::REGION;
use crate::domain::{hex_id, ControlError, ControlResult};
use crate::domain::{Domain, Project};

#[derive(Debug, Clone, Default)]
pub struct NewProject {
    pub name: String,
    pub domain_id: Option<String>,
    pub parent_id: Option<String>,
    pub description: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub domain_id: Option<String>,
    pub name: Option<String>,
    pub parent_id: Option<String>,
    pub enabled: Option<bool>,
}

/// Keystone's conflict for a project name taken in its domain.
fn duplicate_project(name: &str) -> ControlError {
    conflict(format!(
        "Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : {name}."
    ))
}

impl Admin<'_> {
    pub async fn get_domain(&self, actor: &Actor, id: &str) -> ControlResult<Domain> {
        visible(actor, id, self.store().get_domain(id).await?)
    }

    /// The operator sees every account; everyone else only its own.
    pub async fn list_domains(
        &self,
        actor: &Actor,
        name: Option<&str>,
        enabled: Option<bool>,
    ) -> ControlResult<Vec<Domain>> {
        let all = self.store().list_domains().await?;
        Ok(all
            .into_iter()
            .filter(|d| actor.sees(&d.id))
            .filter(|d| name.is_none_or(|n| d.name == n))
            .filter(|d| enabled.is_none_or(|e| d.enabled == e))
            .collect())
    }

    /// Creates an account with its region project (Huawei: every account has
    /// one project per region, named after the region). Operator only.
    pub async fn create_domain(
        &self,
        actor: &Actor,
        name: &str,
        description: &str,
        enabled: bool,
    ) -> ControlResult<Domain> {
        if !actor.operator {
            return Err(ControlError::Forbidden {
                missing: vec!["iam:domains:createDomain".into()],
            });
        }
        check_name_and_description("domain", Some(name), Some(description))?;
        let _w = WRITES.lock().await;
        if self.store().find_domain(name).await?.is_some() {
            return Err(conflict(format!(
                "Conflict occurred attempting to store domain - Duplicate entry found with name {name}."
            )));
        }
        let domain = Domain {
            id: hex_id(),
            name: name.to_string(),
            enabled,
        };
        let project = Project {
            id: hex_id(),
            name: REGION.to_string(),
            domain_id: domain.id.clone(),
            parent_id: None,
            description: format!("Region {REGION}"),
            enabled: true,
        };
        self.store()
            .put_domain(&domain)
            .await
            .map_err(|e| unique_conflict(e, "a domain of that name exists"))?;
        self.store().put_project(&project).await?;
        drop(_w);
        self.changed();
        tracing::info!(domain = %domain.id, name = %domain.name, "account created");
        Ok(domain)
    }

    pub async fn get_project(&self, actor: &Actor, id: &str) -> ControlResult<Project> {
        visible(actor, id, self.store().get_project(id).await?)
    }

    pub async fn list_projects(&self, actor: &Actor, f: &ProjectFilter) -> ControlResult<Vec<Project>> {
        let Some(domain) = actor.listed_account(f.domain_id.as_deref()) else {
            return Ok(Vec::new());
        };
        let projects = self.store().list_projects(domain).await?;
        Ok(projects
            .into_iter()
            .filter(|p| f.name.as_deref().is_none_or(|n| p.name == n))
            .filter(|p| f.enabled.is_none_or(|e| p.enabled == e))
            .filter(|p| {
                f.parent_id
                    .as_deref()
                    .is_none_or(|parent| p.parent_id.as_deref().unwrap_or(&p.domain_id) == parent)
            })
            .collect())
    }

    /// Creates a project, or a sub-project with `parent_id` (a parent that is
    /// the domain itself means a top-level project, as in Keystone).
    pub async fn create_project(&self, actor: &Actor, new: NewProject) -> ControlResult<Project> {
        check_name_and_description("project", Some(&new.name), Some(&new.description))?;
        let (domain_id, parent_id) = match new.parent_id.as_deref() {
            Some(pid)
                if Some(pid) == new.domain_id.as_deref() || (new.domain_id.is_none() && pid == actor.domain_id) =>
            {
                (self.target_domain(actor, Some(pid)).await?, None)
            }
            Some(pid) => {
                let parent = self.get_project(actor, pid).await?;
                if let Some(d) = &new.domain_id {
                    if d != &parent.domain_id {
                        return Err(invalid(format!(
                            "Invalid input for field 'project.parent_id': project {pid} is not in domain {d}."
                        )));
                    }
                }
                (parent.domain_id, Some(parent.id))
            }
            None => (self.target_domain(actor, new.domain_id.as_deref()).await?, None),
        };
        let _w = WRITES.lock().await;
        if self.store().find_project(&domain_id, &new.name).await?.is_some() {
            return Err(duplicate_project(&new.name));
        }
        let project = Project {
            id: hex_id(),
            name: new.name,
            domain_id,
            parent_id,
            description: new.description,
            enabled: new.enabled,
        };
        self.store()
            .put_project(&project)
            .await
            .map_err(|e| unique_in_domain(e, "project"))?;
        drop(_w);
        self.changed();
        Ok(project)
    }

    pub async fn update_project(
        &self,
        actor: &Actor,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
        enabled: Option<bool>,
    ) -> ControlResult<Project> {
        check_name_and_description("project", name, description)?;
        let _w = WRITES.lock().await;
        let mut project = self.get_project(actor, id).await?;
        if let Some(n) = name {
            if n != project.name && self.store().find_project(&project.domain_id, n).await?.is_some() {
                return Err(duplicate_project(n));
            }
            project.name = n.to_string();
        }
        if let Some(d) = description {
            project.description = d.to_string();
        }
        if let Some(e) = enabled {
            project.enabled = e;
        }
        self.store()
            .put_project(&project)
            .await
            .map_err(|e| unique_in_domain(e, "project"))?;
        drop(_w);
        self.changed();
        Ok(project)
    }
}
