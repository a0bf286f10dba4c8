//! Images: Glance v2, Huawei IMS and Nova's image proxy over the same
//! records. IMS's Glance-style calls (show, delete) are Glance's routes.
//! Actions as IMS's permission table (native API) lists them; the
//! create-from-server job type `createImageByInstance` is UNCONFIRMED.

use super::huawei::change;
use super::{route as at, row, Endpoint, OpId, Operation, Route};
use crate::domain::{TaskState, VmState};

const IMS_CREATE: &[Route] = &[
    at("POST", "/v2/cloudimages/action", Endpoint::ImsCreate),
    at("POST", "/v2.1/cloudimages/action", Endpoint::ImsCreate),
];

pub(super) const ROWS: &[Operation] = &[
    row(
        OpId::ImageList,
        "List images (Glance v2 and the compute proxy)",
        &[
            at("GET", "/image/v2/images", Endpoint::GlanceImages),
            at("GET", "/v2/images", Endpoint::GlanceImages),
            at("GET", "/v2.1/{project_id}/images", Endpoint::NovaImages),
            at("GET", "/v2.1/{project_id}/images/detail", Endpoint::NovaImages),
            at("GET", "/v2/{project_id}/images", Endpoint::NovaImages),
            at("GET", "/v2/{project_id}/images/detail", Endpoint::NovaImages),
        ],
        &["ims:images:list"],
    ),
    row(
        OpId::ImageShow,
        "Show an image (Glance v2 and the compute proxy)",
        &[
            at("GET", "/image/v2/images/{image_id}", Endpoint::GlanceImage),
            at("GET", "/v2/images/{image_id}", Endpoint::GlanceImage),
            at("GET", "/v2.1/{project_id}/images/{image_id}", Endpoint::NovaImage),
            at("GET", "/v2/{project_id}/images/{image_id}", Endpoint::NovaImage),
        ],
        &["ims:images:get"],
    ),
    row(
        OpId::GlanceCreate,
        "Create an image record (Glance v2; data to follow)",
        &[
            at("POST", "/image/v2/images", Endpoint::GlanceImages),
            at("POST", "/v2/images", Endpoint::GlanceImages),
        ],
        &["ims:images:create"],
    ),
    row(
        OpId::GlanceUpdate,
        "Update an image with a JSON patch (Glance v2)",
        &[
            at("PATCH", "/image/v2/images/{image_id}", Endpoint::GlanceImage),
            at("PATCH", "/v2/images/{image_id}", Endpoint::GlanceImage),
        ],
        &["ims:images:update", "ims:images:get"],
    ),
    row(
        OpId::GlanceDelete,
        "Delete an image the project owns (Glance v2, IMS)",
        &[
            at("DELETE", "/image/v2/images/{image_id}", Endpoint::GlanceImage),
            at("DELETE", "/v2/images/{image_id}", Endpoint::GlanceImage),
        ],
        &["ims:images:delete", "ims:images:get"],
    ),
    row(
        OpId::ImsList,
        "List images with IMS's filters",
        &[at("GET", "/v2/cloudimages", Endpoint::ImsImages)],
        &["ims:images:list"],
    ),
    Operation {
        instance_authz: true,
        ..change(
            OpId::ImsCreateFromServer,
            "Create a private image from a server's system disk (IMS)",
            IMS_CREATE,
            &[
                "ims:serverImages:create",
                "ims:images:create",
                "ims:images:get",
                "ims:images:update",
                "ims:images:upload",
            ],
            &[VmState::Active, VmState::Stopped],
            TaskState::ImageSnapshot,
            super::Workflow::CreateImage,
            "createImageByInstance",
            "createImage",
        )
    },
    row(
        OpId::ImsUpdate,
        "Update an image with a JSON patch (IMS)",
        &[at("PATCH", "/v2/cloudimages/{image_id}", Endpoint::ImsImage)],
        &["ims:images:update"],
    ),
    // Sharing (Glance's members, which IMS's SDK calls too); the actions
    // `ims:images:share` and `ims:images:setMemberStatus` are UNCONFIRMED.
    row(
        OpId::GlanceMemberCreate,
        "Share an image with a project",
        &[
            at("POST", "/image/v2/images/{image_id}/members", Endpoint::GlanceMembers),
            at("POST", "/v2/images/{image_id}/members", Endpoint::GlanceMembers),
        ],
        &["ims:images:share"],
    ),
    row(
        OpId::GlanceMemberList,
        "List an image's members",
        &[
            at("GET", "/image/v2/images/{image_id}/members", Endpoint::GlanceMembers),
            at("GET", "/v2/images/{image_id}/members", Endpoint::GlanceMembers),
        ],
        &["ims:images:get"],
    ),
    row(
        OpId::GlanceMemberShow,
        "Show one member of an image",
        &[
            at(
                "GET",
                "/image/v2/images/{image_id}/members/{member_id}",
                Endpoint::GlanceMember,
            ),
            at(
                "GET",
                "/v2/images/{image_id}/members/{member_id}",
                Endpoint::GlanceMember,
            ),
        ],
        &["ims:images:get"],
    ),
    row(
        OpId::GlanceMemberUpdate,
        "Accept or reject an image shared with the project",
        &[
            at(
                "PUT",
                "/image/v2/images/{image_id}/members/{member_id}",
                Endpoint::GlanceMember,
            ),
            at(
                "PUT",
                "/v2/images/{image_id}/members/{member_id}",
                Endpoint::GlanceMember,
            ),
        ],
        &["ims:images:setMemberStatus"],
    ),
    row(
        OpId::GlanceMemberDelete,
        "Stop sharing an image with a project",
        &[
            at(
                "DELETE",
                "/image/v2/images/{image_id}/members/{member_id}",
                Endpoint::GlanceMember,
            ),
            at(
                "DELETE",
                "/v2/images/{image_id}/members/{member_id}",
                Endpoint::GlanceMember,
            ),
        ],
        &["ims:images:share"],
    ),
];
