//! OpenStack Nova around the server (`/v2`, `/v2.1`): volume attachments,
//! images of a server, limits and quotas, the server's own record,
//! addresses and zones, and key pairs. Continues [`super::nova`]'s rows in
//! the order of their ids.

use super::huawei::{attachment, change, metadata_row};
use super::nova::{action, nova_routes, ACTIVE_OR_STOPPED};
use super::{administrator, route, row, Endpoint, OpId, Operation, Route, Selector, Workflow};
use crate::domain::TaskState;

/// Attaching a volume natively, with the dependents Huawei's ECS
/// permission table lists.
const NOVA_ATTACH_ACTIONS: &[&str] = &[
    "ecs:serverVolumeAttachments:create",
    "ecs:servers:get",
    "ecs:flavors:get",
    "ecs:serverVolumes:use",
    "evs:volumes:list",
    "evs:volumes:get",
    "evs:volumes:update",
    "evs:volumes:attach",
    "evs:volumes:manage",
];

/// Detaching a volume natively, with its published dependents.
const NOVA_DETACH_ACTIONS: &[&str] = &[
    "ecs:serverVolumeAttachments:delete",
    "ecs:serverVolumes:use",
    "evs:volumes:list",
    "evs:volumes:get",
    "evs:volumes:update",
    "evs:volumes:detach",
    "evs:volumes:manage",
];

/// Capturing a server natively, with the dependents Huawei's ECS
/// permission table lists.
const NOVA_CREATE_IMAGE_ACTIONS: &[&str] = &[
    "ecs:servers:createImage",
    "ecs:servers:list",
    "evs:volumes:get",
    "evs:snapshots:create",
    "ims:images:create",
    "ims:images:get",
    "ims:images:list",
    "ims:images:update",
    "ims:images:delete",
    "ims:quotas:get",
];

pub(super) const ROWS: &[Operation] = &[
    // ---- volume attachments (os-volume_attachments) ----
    attachment(
        OpId::NovaAttachVolume,
        "Attach a volume to a server (native)",
        nova_routes!("POST" "/servers/{server_id}/os-volume_attachments" => Endpoint::NovaVolumeAttachments),
        NOVA_ATTACH_ACTIONS,
        "attachVolume",
        "attach_volume",
    ),
    row(
        OpId::NovaListVolumeAttachments,
        "List a server's volume attachments (native)",
        nova_routes!("GET" "/servers/{server_id}/os-volume_attachments" => Endpoint::NovaVolumeAttachments),
        &["ecs:serverVolumeAttachments:list"],
    ),
    row(
        OpId::NovaShowVolumeAttachment,
        "Show one of a server's volume attachments (native)",
        nova_routes!("GET" "/servers/{server_id}/os-volume_attachments/{volume_id}" => Endpoint::NovaVolumeAttachment),
        &["ecs:serverVolumeAttachments:get"],
    ),
    attachment(
        OpId::NovaDetachVolume,
        "Detach a volume from a server (native)",
        nova_routes!("DELETE" "/servers/{server_id}/os-volume_attachments/{volume_id}" => Endpoint::NovaVolumeAttachment),
        NOVA_DETACH_ACTIONS,
        "detachVolume",
        "detach_volume",
    ),
    change(
        OpId::NovaCreateImage,
        "Create an image from a server (createImage)",
        action!("createImage"),
        NOVA_CREATE_IMAGE_ACTIONS,
        ACTIVE_OR_STOPPED,
        TaskState::ImageSnapshot,
        Workflow::CreateImage,
        "createImage",
        "createImage",
    ),
    // ---- limits and quotas ----
    // Quota sets are served at /v2.1 only: the legacy /v2/{project_id}
    // path is EVS's quota query. Reads take `ecs:quotas:get` (Huawei's
    // action for the native quota API); `limits` the same (UNCONFIRMED).
    row(
        OpId::NovaLimits,
        "Show the project's limits and usage (native)",
        nova_routes!("GET" "/limits" => Endpoint::NovaLimits),
        &["ecs:quotas:get"],
    ),
    row(
        OpId::NovaQuotaShow,
        "Show a project's quotas, with usage at /detail (native)",
        QUOTA_SHOW,
        &["ecs:quotas:get"],
    ),
    row(
        OpId::NovaQuotaDefaults,
        "Show the default quotas (native)",
        QUOTA_DEFAULTS,
        &["ecs:quotas:get"],
    ),
    administrator(OpId::NovaQuotaUpdate, "Set a project's quotas (native)", QUOTA_UPDATE),
    administrator(
        OpId::NovaQuotaDelete,
        "Revert a project's quotas to the defaults (native)",
        QUOTA_DELETE,
    ),
    // ---- the server's own record ----
    // Reads take `ecs:servers:get`, writes `ecs:servers:update` with it
    // (UNCONFIRMED for the metadata calls, which no published table names).
    row(
        OpId::NovaUpdate,
        "Change a server's name or description (native)",
        nova_routes!("PUT" "/servers/{server_id}" => Endpoint::NovaServer),
        &["ecs:servers:update", "ecs:servers:get"],
    ),
    row(
        OpId::NovaMetadataList,
        "Show a server's metadata (native)",
        nova_routes!("GET" "/servers/{server_id}/metadata" => Endpoint::NovaMetadata),
        &["ecs:servers:get"],
    ),
    row(
        OpId::NovaMetadataShow,
        "Show one metadata item (native)",
        nova_routes!("GET" "/servers/{server_id}/metadata/{key}" => Endpoint::NovaMetadataItem),
        &["ecs:servers:get"],
    ),
    metadata_row(
        OpId::NovaMetadataMerge,
        "Add or change metadata items (native)",
        nova_routes!("POST" "/servers/{server_id}/metadata" => Endpoint::NovaMetadata),
        &["ecs:servers:update", "ecs:servers:get"],
    ),
    metadata_row(
        OpId::NovaMetadataReplace,
        "Replace all metadata (native)",
        nova_routes!("PUT" "/servers/{server_id}/metadata" => Endpoint::NovaMetadata),
        &["ecs:servers:update", "ecs:servers:get"],
    ),
    metadata_row(
        OpId::NovaMetadataSet,
        "Set one metadata item (native)",
        nova_routes!("PUT" "/servers/{server_id}/metadata/{key}" => Endpoint::NovaMetadataItem),
        &["ecs:servers:update", "ecs:servers:get"],
    ),
    metadata_row(
        OpId::NovaMetadataDelete,
        "Delete one metadata item (native)",
        nova_routes!("DELETE" "/servers/{server_id}/metadata/{key}" => Endpoint::NovaMetadataItem),
        &["ecs:servers:update", "ecs:servers:get"],
    ),
    // ---- addresses and zones ----
    row(
        OpId::NovaListIps,
        "List a server's addresses by network (native)",
        nova_routes!("GET" "/servers/{server_id}/ips" => Endpoint::NovaIps),
        &["ecs:servers:get"],
    ),
    row(
        OpId::NovaShowIps,
        "Show a server's addresses on one network (native)",
        nova_routes!("GET" "/servers/{server_id}/ips/{network_label}" => Endpoint::NovaIps),
        &["ecs:servers:get"],
    ),
    // Any member of the project may list the zones (UNCONFIRMED action-free).
    row(
        OpId::NovaAvailabilityZones,
        "List availability zones (native)",
        nova_routes!("GET" "/os-availability-zone" => Endpoint::NovaZones),
        &[],
    ),
    // With the hosts: Nova keeps it for administrators.
    administrator(
        OpId::NovaAvailabilityZonesDetail,
        "List availability zones with their hosts (native)",
        nova_routes!("GET" "/os-availability-zone/detail" => Endpoint::NovaZones),
    ),
    // ---- key pairs (Huawei's ECS SDK calls these paths too) ----
    row(
        OpId::NovaKeypairCreate,
        "Create or import a key pair (native)",
        nova_routes!("POST" "/os-keypairs" => Endpoint::NovaKeypairs),
        &["ecs:serverKeypairs:create"],
    ),
    row(
        OpId::NovaKeypairList,
        "List the caller's key pairs (native)",
        nova_routes!("GET" "/os-keypairs" => Endpoint::NovaKeypairs),
        &["ecs:serverKeypairs:list"],
    ),
    row(
        OpId::NovaKeypairShow,
        "Show a key pair (native)",
        nova_routes!("GET" "/os-keypairs/{keypair_name}" => Endpoint::NovaKeypair),
        &["ecs:serverKeypairs:get"],
    ),
    row(
        OpId::NovaKeypairDelete,
        "Delete a key pair (native)",
        nova_routes!("DELETE" "/os-keypairs/{keypair_name}" => Endpoint::NovaKeypair),
        &["ecs:serverKeypairs:delete"],
    ),
];

const QUOTA_SHOW: &[Route] = &[
    route(
        "GET",
        "/v2.1/{project_id}/os-quota-sets/{tenant_id}",
        Endpoint::NovaQuotaSets,
    ),
    route("GET", "/v2.1/os-quota-sets/{tenant_id}", Endpoint::NovaQuotaSets),
    route(
        "GET",
        "/v2.1/{project_id}/os-quota-sets/{tenant_id}/detail",
        Endpoint::NovaQuotaSets,
    ),
    route("GET", "/v2.1/os-quota-sets/{tenant_id}/detail", Endpoint::NovaQuotaSets),
];
const QUOTA_DEFAULTS: &[Route] = &[
    route(
        "GET",
        "/v2.1/{project_id}/os-quota-sets/{tenant_id}/defaults",
        Endpoint::NovaQuotaSets,
    ),
    route(
        "GET",
        "/v2.1/os-quota-sets/{tenant_id}/defaults",
        Endpoint::NovaQuotaSets,
    ),
];
const QUOTA_UPDATE: &[Route] = &[
    route(
        "PUT",
        "/v2.1/{project_id}/os-quota-sets/{tenant_id}",
        Endpoint::NovaQuotaSets,
    ),
    route("PUT", "/v2.1/os-quota-sets/{tenant_id}", Endpoint::NovaQuotaSets),
];
const QUOTA_DELETE: &[Route] = &[
    route(
        "DELETE",
        "/v2.1/{project_id}/os-quota-sets/{tenant_id}",
        Endpoint::NovaQuotaSets,
    ),
    route("DELETE", "/v2.1/os-quota-sets/{tenant_id}", Endpoint::NovaQuotaSets),
];
