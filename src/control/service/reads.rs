//! Reads: flavors and images, servers, instance actions, jobs, and a server's volumes and ports.

use super::Service;
use crate::catalog::OpId;
use crate::domain::{
    Caller, ControlError, ControlResult, Flavor, Host, Image, InstanceAction, Job, Port, Server, Volume,
};
use crate::domain::{Page, ServerFilter};

impl Service {
    /// A flavor the region offers.
    pub fn flavor(&self, id: &str) -> Option<&Flavor> {
        self.inventory.flavor(id)
    }

    pub fn flavors(&self) -> &[Flavor] {
        self.inventory.flavors()
    }

    /// An image the caller may see (public, community or its project's),
    /// with no authorization: what a create or rebuild boots from.
    pub async fn visible_image(&self, caller: &Caller, id: &str) -> ControlResult<Option<Image>> {
        let Some(image) = self.store.get_image(id).await? else {
            return Ok(None);
        };
        // A shared image is seen by the projects it is shared with, whatever
        // their answer (Glance's rule for a direct read).
        if image.visibility == "shared" && !image.visible_to(&caller.project_id) {
            let member = self.store.image_member(&image.id, &caller.project_id).await?;
            return Ok(member.map(|_| image));
        }
        Ok(Some(image).filter(|i| i.visible_to(&caller.project_id)))
    }

    /// The region's hosts (the zone's detail lists them).
    pub fn hosts(&self) -> &[Host] {
        self.inventory.hosts()
    }

    /// A host by id or name (a server view names its host).
    pub fn host(&self, id_or_name: &str) -> Option<&Host> {
        self.inventory.host(id_or_name)
    }

    /// A server's instance actions, oldest first, after the read is authorized.
    pub async fn instance_actions(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
    ) -> ControlResult<Vec<InstanceAction>> {
        let server = self.read_server(caller, op, server_id).await?;
        self.store.list_actions(&server.id).await
    }

    /// One instance action of a server, after the read is authorized.
    pub async fn instance_action(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        request_id: &str,
    ) -> ControlResult<InstanceAction> {
        let server = self.read_server(caller, op, server_id).await?;
        self.store
            .get_action(&server.id, request_id)
            .await?
            .ok_or_else(|| ControlError::NotFound {
                code: "Ecs.0114",
                message: format!("Action {request_id} not found"),
            })
    }

    /// Flavors a server may be resized to, by the resize rules.
    pub fn resize_targets(&self, server_flavor: &Flavor, image: Option<&Image>) -> Vec<Flavor> {
        crate::control::workflows::resize_targets(self.inventory.as_ref(), server_flavor, image)
    }

    /// Looks up and authorizes a read of one server.
    pub async fn read_server(&self, caller: &Caller, op: OpId, id: &str) -> ControlResult<Server> {
        let s = self.server_for(caller, id).await?;
        self.authorize(caller, op, Some(&s)).await?;
        Ok(s)
    }

    pub async fn list_servers(
        &self,
        caller: &Caller,
        op: OpId,
        filter: &ServerFilter,
        page: Page,
    ) -> ControlResult<(Vec<Server>, usize)> {
        self.authorize(caller, op, None).await?;
        self.store.list_servers(&caller.project_id, filter, page).await
    }

    /// The job and its sub-jobs, visible within the caller's project only.
    pub async fn job(&self, caller: &Caller, job_id: &str) -> ControlResult<(Job, Vec<Job>)> {
        self.authorize(caller, OpId::HwShowJob, None).await?;
        let not_found = || ControlError::NotFound {
            code: "Common.0011",
            message: "Failed to query system tasks.".into(),
        };
        let job = self
            .store
            .get_job(job_id)
            .await?
            .filter(|j| j.project_id == caller.project_id)
            .ok_or_else(not_found)?;
        let subs = self.store.sub_jobs(&job.id).await?;
        Ok((job, subs))
    }

    pub async fn volumes_and_ports(&self, server_id: &str) -> ControlResult<(Vec<Volume>, Vec<Port>)> {
        self.store.attachments_of(server_id).await
    }
}
