//! Images as records (Glance v2 and IMS over the same rows): the region's
//! public images, seeded at start, and each project's private ones, made
//! through Glance or captured from a server. A project sees public and
//! community images and its own; another project's private image is not
//! found. Only the owner changes or deletes an image, and a protected one
//! is never deleted.

use std::collections::BTreeMap;

use chrono::Utc;

use super::Service;
use crate::catalog::OpId;
use crate::control::workflows::{CreateImageInput, WorkInput};
use crate::domain::{uuid_id, Caller, ControlError, ControlResult, Image, ImageMember};

/// IMS's code for a missing image (IMG.0027, a 400 in IMS's dialect);
/// Glance and Nova show it as 404.
pub const IMAGE_NOT_FOUND: &str = "IMG.0027";

/// Disk and container formats Glance accepts by default.
pub const DISK_FORMATS: &[&str] = &[
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
];
pub const CONTAINER_FORMATS: &[&str] = &["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"];

/// Most images of its own a project keeps (UNCONFIRMED against IMS's quota).
pub const MAX_PRIVATE_IMAGES: usize = 100;

/// Most projects one image is shared with (UNCONFIRMED against IMS's limit).
pub const MAX_MEMBERS: usize = 256;

fn member_not_found(image: &str, member: &str) -> ControlError {
    ControlError::NotFound {
        code: IMAGE_NOT_FOUND,
        message: format!("Member {member} of image {image} could not be found."),
    }
}

pub fn image_not_found(id: &str) -> ControlError {
    ControlError::NotFound {
        code: IMAGE_NOT_FOUND,
        message: format!("No image found with ID {id}"),
    }
}

/// An image record to make (Glance's create; it stays `queued`).
#[derive(Debug, Clone, Default)]
pub struct NewImage {
    pub id: Option<String>,
    pub name: String,
    pub visibility: Option<String>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub min_disk_gb: i64,
    pub min_ram_mb: i64,
    pub protected: bool,
    pub tags: Vec<String>,
    pub properties: BTreeMap<String, String>,
}

/// What a capture of a server names its image with.
#[derive(Debug, Clone, Default)]
pub struct ServerImage {
    pub name: String,
    pub description: String,
    pub properties: BTreeMap<String, String>,
}

/// Changes to an image (a Glance or IMS JSON patch, read into its fields).
#[derive(Debug, Clone, Default)]
pub struct ImagePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<String>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub min_disk_gb: Option<i64>,
    pub min_ram_mb: Option<i64>,
    pub protected: Option<bool>,
    pub tags: Option<Vec<String>>,
    pub set_properties: BTreeMap<String, String>,
    pub remove_properties: Vec<String>,
}

fn check_choice(what: &str, value: &Option<String>, allowed: &[&str]) -> ControlResult<()> {
    match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(ControlError::bad_request(format!(
            "Invalid {what} '{v}' for image; use one of {}.",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// Visibility a project may give its images: public is the region's.
fn check_visibility(v: &Option<String>) -> ControlResult<()> {
    match v.as_deref() {
        None | Some("private" | "shared" | "community") => Ok(()),
        Some("public") => Err(ControlError::Forbidden {
            missing: vec!["publicize_image".into()],
        }),
        Some(other) => Err(ControlError::bad_request(format!("Invalid visibility value: {other}"))),
    }
}

fn check_sizes(min_disk: i64, min_ram: i64) -> ControlResult<()> {
    if min_disk < 0 || min_ram < 0 {
        return Err(ControlError::bad_request(
            "Cannot set image min_disk or min_ram to a negative value.",
        ));
    }
    Ok(())
}

impl Service {
    /// The images the caller sees, after the row is authorized.
    pub async fn list_images(&self, caller: &Caller, op: OpId) -> ControlResult<Vec<Image>> {
        self.authorize(caller, op, None).await?;
        self.store.list_images(&caller.project_id).await
    }

    /// One image the caller sees, after the row is authorized.
    pub async fn show_image(&self, caller: &Caller, op: OpId, id: &str) -> ControlResult<Image> {
        self.authorize(caller, op, None).await?;
        self.visible_image(caller, id).await?.ok_or_else(|| image_not_found(id))
    }

    /// Makes an image record with no data yet (`queued`).
    pub async fn create_image_record(&self, caller: &Caller, op: OpId, new: NewImage) -> ControlResult<Image> {
        self.authorize(caller, op, None).await?;
        check_visibility(&new.visibility)?;
        check_choice("disk_format", &new.disk_format, DISK_FORMATS)?;
        check_choice("container_format", &new.container_format, CONTAINER_FORMATS)?;
        check_sizes(new.min_disk_gb, new.min_ram_mb)?;
        self.check_image_room(caller).await?;
        if let Some(id) = &new.id {
            if !crate::domain::is_uuid(id) {
                return Err(ControlError::bad_request(format!("id {id} is not a valid UUID.")));
            }
        }
        let now = Utc::now();
        let image = Image {
            id: new.id.unwrap_or_else(uuid_id),
            name: new.name,
            os_type: new.properties.get("os_type").cloned().unwrap_or_else(|| "Linux".into()),
            os_version: new.properties.get("os_version").cloned().unwrap_or_default(),
            os_bit: "64".into(),
            min_disk_gb: new.min_disk_gb,
            min_ram_mb: new.min_ram_mb,
            arch: new
                .properties
                .get("architecture")
                .cloned()
                .unwrap_or_else(|| "x86_64".into()),
            status: "queued".into(),
            visibility: new.visibility.unwrap_or_else(|| "shared".into()),
            size_bytes: 0,
            owner: Some(caller.project_id.clone()),
            description: String::new(),
            disk_format: new.disk_format,
            container_format: new.container_format,
            protected: new.protected,
            tags: new.tags,
            properties: new.properties,
            source_server: None,
            created: Some(now),
            updated: Some(now),
        };
        if !self.store.insert_image(&image).await? {
            return Err(ControlError::Conflict {
                code: "Ecs.0031",
                message: format!("An image with identifier {} already exists", image.id),
            });
        }
        Ok(image)
    }

    /// Applies a patch to an image the caller owns.
    pub async fn update_image(&self, caller: &Caller, op: OpId, id: &str, patch: ImagePatch) -> ControlResult<Image> {
        let mut image = self.owned_image(caller, op, id, "modify_image").await?;
        check_visibility(&patch.visibility)?;
        check_choice("disk_format", &patch.disk_format, DISK_FORMATS)?;
        check_choice("container_format", &patch.container_format, CONTAINER_FORMATS)?;
        if image.status != "queued" && (patch.disk_format.is_some() || patch.container_format.is_some()) {
            return Err(ControlError::bad_request(
                "Properties disk_format, container_format must be set prior to an image's activation.",
            ));
        }
        let ImagePatch {
            name,
            description,
            visibility,
            disk_format,
            container_format,
            min_disk_gb,
            min_ram_mb,
            protected,
            tags,
            set_properties,
            remove_properties,
        } = patch;
        image.name = name.unwrap_or(image.name);
        image.description = description.unwrap_or(image.description);
        image.visibility = visibility.unwrap_or(image.visibility);
        image.disk_format = disk_format.or(image.disk_format);
        image.container_format = container_format.or(image.container_format);
        image.min_disk_gb = min_disk_gb.unwrap_or(image.min_disk_gb);
        image.min_ram_mb = min_ram_mb.unwrap_or(image.min_ram_mb);
        check_sizes(image.min_disk_gb, image.min_ram_mb)?;
        image.protected = protected.unwrap_or(image.protected);
        image.tags = tags.unwrap_or(image.tags);
        for key in remove_properties {
            if image.properties.remove(&key).is_none() {
                return Err(ControlError::Conflict {
                    code: "Ecs.0005",
                    message: format!("Property {key} does not exist."),
                });
            }
        }
        image.properties.extend(set_properties);
        image.updated = Some(Utc::now());
        self.store.put_image(&image).await?;
        Ok(image)
    }

    /// Deletes an image the caller owns, unless it is protected.
    pub async fn delete_image(&self, caller: &Caller, op: OpId, id: &str) -> ControlResult<()> {
        let image = self.owned_image(caller, op, id, "delete_image").await?;
        if image.protected {
            // Glance answers 403; IMS's code is IMG.0028.
            return Err(ControlError::Forbidden {
                missing: vec![format!("delete_image (IMG.0028: image {id} is protected)")],
            });
        }
        self.store.delete_image(&image.id).await
    }

    /// Captures a server's system disk into a new private image: the image
    /// is written (`queued`) with the server's claim and the job makes it
    /// active. Returns the job and the image.
    pub async fn create_server_image(
        &self,
        caller: &Caller,
        op: OpId,
        server_id: &str,
        spec: ServerImage,
        request_id: &str,
    ) -> ControlResult<(String, Image)> {
        self.check_image_room(caller).await?;
        let input = CreateImageInput {
            image_id: uuid_id(),
            name: spec.name,
            description: spec.description,
            properties: spec.properties,
        };
        let image_id = input.image_id.clone();
        let accepted = self
            .act(caller, op, server_id, WorkInput::CreateImage(input), request_id)
            .await?;
        let image = self
            .store
            .get_image(&image_id)
            .await?
            .ok_or_else(|| ControlError::internal("the claimed image is not stored"))?;
        Ok((accepted.job_id, image))
    }

    /// The record a server capture starts from: the caller's, `queued`, shaped
    /// like the server's own image until the capture fills it in.
    pub(super) async fn queued_capture(
        &self,
        caller: &Caller,
        server: &crate::domain::Server,
        input: &CreateImageInput,
    ) -> ControlResult<Image> {
        let source = self.store.get_image(&server.image_id).await?.unwrap_or_default();
        let now = Utc::now();
        let mut properties = input.properties.clone();
        properties.insert("instance_uuid".into(), server.id.clone());
        properties.insert("image_type".into(), "snapshot".into());
        properties.insert("base_image_ref".into(), server.image_id.clone());
        Ok(Image {
            id: input.image_id.clone(),
            name: input.name.clone(),
            os_type: source.os_type,
            os_version: source.os_version,
            os_bit: if source.os_bit.is_empty() {
                "64".into()
            } else {
                source.os_bit
            },
            min_disk_gb: source.min_disk_gb,
            min_ram_mb: source.min_ram_mb,
            arch: if source.arch.is_empty() {
                "x86_64".into()
            } else {
                source.arch
            },
            status: "queued".into(),
            visibility: "private".into(),
            size_bytes: 0,
            owner: Some(caller.project_id.clone()),
            description: input.description.clone(),
            disk_format: Some("qcow2".into()),
            container_format: Some("bare".into()),
            protected: false,
            tags: Vec::new(),
            properties,
            source_server: Some(server.id.clone()),
            created: Some(now),
            updated: Some(now),
        })
    }

    /// Shares an image the caller owns (visibility `shared`) with a project.
    pub async fn add_image_member(
        &self,
        caller: &Caller,
        op: OpId,
        id: &str,
        member: &str,
    ) -> ControlResult<ImageMember> {
        let image = self.owned_image(caller, op, id, "add_member").await?;
        if image.visibility != "shared" {
            return Err(ControlError::Forbidden {
                missing: vec![format!(
                    "add_member (only shared images have members; image {id} is {})",
                    image.visibility
                )],
            });
        }
        if member.is_empty() || member.len() > 255 || member == caller.project_id {
            return Err(ControlError::bad_request(format!("Invalid member {member}.")));
        }
        if self.store.image_members(&image.id).await?.len() >= MAX_MEMBERS {
            return Err(ControlError::bad_request_code(
                "IMG.0015",
                format!("An image is shared with at most {MAX_MEMBERS} projects."),
            ));
        }
        let now = Utc::now();
        let m = ImageMember {
            image_id: image.id,
            member_id: member.to_string(),
            status: "pending".into(),
            created: now,
            updated: now,
        };
        if !self.store.add_image_member(&m).await? {
            return Err(ControlError::Conflict {
                code: "IMG.0005",
                message: format!("Member {member} already exists for image {id}."),
            });
        }
        Ok(m)
    }

    /// An image's members: all of them for its owner, its own for a member.
    pub async fn image_members(&self, caller: &Caller, op: OpId, id: &str) -> ControlResult<Vec<ImageMember>> {
        let image = self.show_image(caller, op, id).await?;
        let all = self.store.image_members(&image.id).await?;
        if image.owner.as_deref() == Some(caller.project_id.as_str()) {
            return Ok(all);
        }
        Ok(all.into_iter().filter(|m| m.member_id == caller.project_id).collect())
    }

    pub async fn image_member(&self, caller: &Caller, op: OpId, id: &str, member: &str) -> ControlResult<ImageMember> {
        self.image_members(caller, op, id)
            .await?
            .into_iter()
            .find(|m| m.member_id == member)
            .ok_or_else(|| member_not_found(id, member))
    }

    /// A member accepts, rejects or reconsiders a share (only the member itself).
    pub async fn set_image_member_status(
        &self,
        caller: &Caller,
        op: OpId,
        id: &str,
        member: &str,
        status: &str,
    ) -> ControlResult<ImageMember> {
        if !matches!(status, "pending" | "accepted" | "rejected") {
            return Err(ControlError::bad_request(format!(
                "Invalid status {status}: use pending, accepted or rejected."
            )));
        }
        let mut m = self.image_member(caller, op, id, member).await?;
        if member != caller.project_id {
            return Err(ControlError::Forbidden {
                missing: vec!["modify_member (only the member itself answers a share)".into()],
            });
        }
        m.status = status.to_string();
        m.updated = Utc::now();
        self.store.put_image_member(&m).await?;
        Ok(m)
    }

    /// The owner stops sharing with a project.
    pub async fn remove_image_member(&self, caller: &Caller, op: OpId, id: &str, member: &str) -> ControlResult<()> {
        let image = self.owned_image(caller, op, id, "delete_member").await?;
        if !self.store.remove_image_member(&image.id, member).await? {
            return Err(member_not_found(id, member));
        }
        Ok(())
    }

    async fn owned_image(&self, caller: &Caller, op: OpId, id: &str, rule: &str) -> ControlResult<Image> {
        self.authorize(caller, op, None).await?;
        let image = self
            .visible_image(caller, id)
            .await?
            .ok_or_else(|| image_not_found(id))?;
        if image.owner.as_deref() != Some(caller.project_id.as_str()) {
            return Err(ControlError::Forbidden {
                missing: vec![rule.to_string()],
            });
        }
        Ok(image)
    }

    /// A project keeps at most [`MAX_PRIVATE_IMAGES`] images of its own.
    async fn check_image_room(&self, caller: &Caller) -> ControlResult<()> {
        let own = self
            .store
            .list_images(&caller.project_id)
            .await?
            .iter()
            .filter(|i| i.owner.as_deref() == Some(caller.project_id.as_str()))
            .count();
        if own >= MAX_PRIVATE_IMAGES {
            return Err(ControlError::bad_request_code(
                "IMG.0015",
                format!("The private image quota ({MAX_PRIVATE_IMAGES} per project) is reached."),
            ));
        }
        Ok(())
    }
}
