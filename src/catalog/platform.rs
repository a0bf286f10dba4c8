//! The service's own documents and its operator API: version discovery
//! for compute and images, fault injection, explain, suggest and audit.

use super::{administrator, public, route as at, Endpoint, OpId, Operation};

pub(super) const ROWS: &[Operation] = &[
    public(
        OpId::Versions,
        "The compute API versions",
        &[at("GET", "/", Endpoint::VersionsRoot)],
    ),
    public(
        OpId::ComputeVersion21,
        "The compute v2.1 version document",
        &[
            at("GET", "/v2.1", Endpoint::ComputeVersion21),
            at("GET", "/v2.1/", Endpoint::ComputeVersion21),
            at("GET", "/v2.1/{project_id}", Endpoint::ComputeVersion21),
            at("GET", "/v2.1/{project_id}/", Endpoint::ComputeVersion21),
        ],
    ),
    public(
        OpId::ComputeVersion20,
        "The legacy compute v2 version document",
        &[
            at("GET", "/v2", Endpoint::ComputeVersion20),
            at("GET", "/v2/", Endpoint::ComputeVersion20),
        ],
    ),
    public(
        OpId::ImageVersions,
        "The image API versions",
        &[
            at("GET", "/image", Endpoint::ImageVersions),
            at("GET", "/image/", Endpoint::ImageVersions),
            at("GET", "/image/versions", Endpoint::ImageVersions),
        ],
    ),
    administrator(
        OpId::AdminListFaults,
        "List the simulated driver's fault rules",
        &[at("GET", "/ecsd/v1/faults", Endpoint::AdminFaults)],
    ),
    administrator(
        OpId::AdminAddFault,
        "Add a fault rule to the simulated driver",
        &[at("POST", "/ecsd/v1/faults", Endpoint::AdminFaults)],
    ),
    administrator(
        OpId::AdminClearFaults,
        "Remove every fault rule",
        &[at("DELETE", "/ecsd/v1/faults", Endpoint::AdminFaults)],
    ),
    Operation {
        self_service: Some("a user asks about itself"),
        ..administrator(
            OpId::AdminExplain,
            "Explain an authorization decision",
            &[at("POST", "/ecsd/v1/iam/explain", Endpoint::AdminExplain)],
        )
    },
    Operation {
        self_service: Some("a user asks about itself"),
        ..administrator(
            OpId::AdminSuggest,
            "Suggest a least-privilege policy from the audit trail",
            &[at("GET", "/ecsd/v1/iam/suggest", Endpoint::AdminSuggest)],
        )
    },
    administrator(
        OpId::AdminAudit,
        "Query the audit trail",
        &[at("GET", "/ecsd/v1/audit", Endpoint::AdminAudit)],
    ),
];
