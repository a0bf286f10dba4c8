//! Images: Glance v2 and Nova's image proxy over the same inventory.

use super::{route as at, row, Endpoint, OpId, Operation};

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
];
