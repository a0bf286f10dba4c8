//! Block storage: Cinder v3 volumes and volume types at
//! `/volume/v3/{project_id}` (the `block-storage` catalog entry), over the
//! same volume records servers have. IAM actions as Huawei's EVS names
//! them; `evs:types:get` for the type list is UNCONFIRMED.

use super::{public, route as at, row, Endpoint, OpId, Operation};

const fn cinder(method: &'static str, path: &'static str) -> super::Route {
    at(method, path, Endpoint::Cinder)
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
    row(
        OpId::CinderVolumeCreate,
        "Create a volume",
        &[cinder("POST", "/volume/v3/{project_id}/volumes")],
        &["evs:volumes:create"],
    ),
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
        &["evs:volumes:update"],
    ),
    row(
        OpId::CinderVolumeDelete,
        "Delete a volume no server holds",
        &[cinder("DELETE", "/volume/v3/{project_id}/volumes/{volume_id}")],
        &["evs:volumes:delete"],
    ),
    row(
        OpId::CinderTypeList,
        "List volume types",
        &[cinder("GET", "/volume/v3/{project_id}/types")],
        &["evs:types:get"],
    ),
];
