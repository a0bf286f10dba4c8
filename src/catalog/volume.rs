//! Block storage: Cinder v3 volumes and volume types at
//! `/volume/v3/{project_id}` (the `block-storage` catalog entry) and Huawei
//! EVS disks at `/v2/{project_id}/cloudvolumes` (the `evs` entry), over the
//! same volume records servers have. IAM actions as Huawei's EVS
//! permission table names them (the Cinder paths' update, delete and
//! extend also need `evs:volumes:get`).

use super::{administrator, public, route as at, row, Endpoint, OpId, Operation};

const fn cinder(method: &'static str, path: &'static str) -> super::Route {
    at(method, path, Endpoint::Cinder)
}

const fn evs(method: &'static str, path: &'static str) -> super::Route {
    at(method, path, Endpoint::Evs)
}

pub(super) const ROWS: &[Operation] = &[
    public(
        OpId::VolumeVersions,
        "The block storage API versions",
        &[
            at("GET", "/volume", Endpoint::VolumeVersions),
            at("GET", "/volume/", Endpoint::VolumeVersions),
            at("GET", "/volume/v3", Endpoint::VolumeVersions),
            at("GET", "/volume/v3/", Endpoint::VolumeVersions),
        ],
    ),
    Operation {
        job_type: Some("createVolume"),
        ..row(
            OpId::CinderVolumeCreate,
            "Create a volume",
            &[cinder("POST", "/volume/v3/{project_id}/volumes")],
            &["evs:volumes:create"],
        )
    },
    row(
        OpId::CinderVolumeList,
        "List volumes",
        &[
            cinder("GET", "/volume/v3/{project_id}/volumes"),
            cinder("GET", "/volume/v3/{project_id}/volumes/detail"),
        ],
        &["evs:volumes:list"],
    ),
    row(
        OpId::CinderVolumeShow,
        "Show a volume",
        &[cinder("GET", "/volume/v3/{project_id}/volumes/{volume_id}")],
        &["evs:volumes:get"],
    ),
    row(
        OpId::CinderVolumeUpdate,
        "Update a volume's name or description",
        &[cinder("PUT", "/volume/v3/{project_id}/volumes/{volume_id}")],
        &["evs:volumes:update", "evs:volumes:get"],
    ),
    Operation {
        job_type: Some("deleteVolume"),
        ..row(
            OpId::CinderVolumeDelete,
            "Delete a volume no server holds",
            &[cinder("DELETE", "/volume/v3/{project_id}/volumes/{volume_id}")],
            &["evs:volumes:delete", "evs:volumes:get"],
        )
    },
    row(
        OpId::CinderTypeList,
        "List volume types",
        &[cinder("GET", "/volume/v3/{project_id}/types")],
        &["evs:types:get"],
    ),
    Operation {
        job_type: Some("extendVolume"),
        ..row(
            OpId::CinderVolumeExtend,
            "Extend a volume (os-extend)",
            &[cinder("POST", "/volume/v3/{project_id}/volumes/{volume_id}/action")],
            &["evs:volumes:extend", "evs:volumes:get"],
        )
    },
    row(
        OpId::CinderLimits,
        "Show the project's block storage limits and usage",
        &[cinder("GET", "/volume/v3/{project_id}/limits")],
        &["evs:quotas:get"],
    ),
    row(
        OpId::CinderQuotaShow,
        "Show a project's block storage quotas (with usage when asked)",
        &[cinder(
            "GET",
            "/volume/v3/{project_id}/os-quota-sets/{target_project_id}",
        )],
        &["evs:quotas:get"],
    ),
    row(
        OpId::CinderQuotaDefaults,
        "Show the default block storage quotas",
        &[cinder(
            "GET",
            "/volume/v3/{project_id}/os-quota-sets/{target_project_id}/defaults",
        )],
        &["evs:quotas:get"],
    ),
    administrator(
        OpId::CinderQuotaUpdate,
        "Set a project's block storage quotas",
        &[cinder(
            "PUT",
            "/volume/v3/{project_id}/os-quota-sets/{target_project_id}",
        )],
    ),
    administrator(
        OpId::CinderQuotaDelete,
        "Revert a project's block storage quotas to the defaults",
        &[cinder(
            "DELETE",
            "/volume/v3/{project_id}/os-quota-sets/{target_project_id}",
        )],
    ),
    // Huawei EVS: create, extend and delete answer with a job, which the
    // ECS job query serves (the same path on EVS's endpoint).
    Operation {
        job_type: Some("createVolume"),
        ..row(
            OpId::EvsCreate,
            "Create EVS disks",
            &[
                evs("POST", "/v2/{project_id}/cloudvolumes"),
                evs("POST", "/v2.1/{project_id}/cloudvolumes"),
            ],
            &["evs:volumes:create"],
        )
    },
    row(
        OpId::EvsList,
        "List EVS disks with details",
        &[
            evs("GET", "/v2/{project_id}/cloudvolumes"),
            evs("GET", "/v2/{project_id}/cloudvolumes/detail"),
        ],
        &["evs:volumes:list"],
    ),
    row(
        OpId::EvsShow,
        "Show an EVS disk",
        &[evs("GET", "/v2/{project_id}/cloudvolumes/{volume_id}")],
        &["evs:volumes:get"],
    ),
    row(
        OpId::EvsUpdate,
        "Update an EVS disk's name or description",
        &[evs("PUT", "/v2/{project_id}/cloudvolumes/{volume_id}")],
        &["evs:volumes:update"],
    ),
    Operation {
        job_type: Some("extendVolume"),
        ..row(
            OpId::EvsExtend,
            "Expand an EVS disk (os-extend)",
            &[
                evs("POST", "/v2/{project_id}/cloudvolumes/{volume_id}/action"),
                evs("POST", "/v2.1/{project_id}/cloudvolumes/{volume_id}/action"),
            ],
            &["evs:volumes:extend"],
        )
    },
    Operation {
        job_type: Some("deleteVolume"),
        ..row(
            OpId::EvsDelete,
            "Delete an EVS disk no server holds",
            &[evs("DELETE", "/v2/{project_id}/cloudvolumes/{volume_id}")],
            &["evs:volumes:delete"],
        )
    },
    row(
        OpId::EvsQuotas,
        "Show the project's disk quotas and usage (EVS)",
        &[evs("GET", "/v2/{project_id}/os-quota-sets/{target_project_id}")],
        &["evs:quotas:get"],
    ),
];
