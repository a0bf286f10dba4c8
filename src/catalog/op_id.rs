//! Operation ids and their stable names, declared once: the order here is
//! the order of the rows in the catalog (checked when it is compiled).

macro_rules! op_ids {
    ($($(#[$doc:meta])* $id:ident = $name:literal,)+) => {
        /// Identifies an operation; its catalog row holds everything about it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OpId {
            $($(#[$doc])* $id,)+
        }

        impl OpId {
            /// Every operation, in catalog order.
            pub const ALL: &'static [OpId] = &[$(OpId::$id,)+];

            /// The stable name used in logs, jobs, audit, explain and docs.
            pub const fn name(self) -> &'static str {
                match self {
                    $(OpId::$id => $name,)+
                }
            }

            /// The id of a stable name.
            pub fn from_name(name: &str) -> Option<OpId> {
                match name {
                    $($name => Some(OpId::$id),)+
                    _ => None,
                }
            }
        }
    };
}

op_ids! {
    // ---- Huawei ECS ----
    HwChangeOs = "ecs.changeOS",
    HwChangeOsWithStop = "ecs.changeOS.withStopServer",
    HwReinstallOs = "ecs.reinstallOS",
    HwReinstallOsWithStop = "ecs.reinstallOS.withStopServer",
    HwResize = "ecs.resize",
    HwResizeWithStop = "ecs.resize.withStopServer",
    HwMigrate = "ecs.migrate",
    HwCreate = "ecs.createServers",
    HwDelete = "ecs.deleteServers",
    HwBatchStart = "ecs.batchStart",
    HwBatchStop = "ecs.batchStop",
    HwBatchRebootSoft = "ecs.batchReboot.soft",
    HwBatchRebootHard = "ecs.batchReboot.hard",
    HwShowServer = "ecs.showServer",
    HwListServers = "ecs.listServers",
    HwListFlavors = "ecs.listFlavors",
    HwListResizeFlavors = "ecs.listResizeFlavors",
    HwShowJob = "ecs.showJob",
    HwAttachVolume = "ecs.attachVolume",
    HwDetachVolume = "ecs.detachVolume",
    HwListBlockDevices = "ecs.listServerBlockDevices",
    HwShowBlockDevice = "ecs.showServerBlockDevice",
    // ---- Nova ----
    NovaStart = "nova.start",
    NovaStop = "nova.stop",
    NovaRebootSoft = "nova.reboot.soft",
    NovaRebootHard = "nova.reboot.hard",
    NovaResize = "nova.resize",
    NovaConfirmResize = "nova.confirmResize",
    NovaRevertResize = "nova.revertResize",
    NovaRebuild = "nova.rebuild",
    NovaLock = "nova.lock",
    NovaUnlock = "nova.unlock",
    NovaCreate = "nova.create",
    NovaDelete = "nova.delete",
    NovaShowServer = "nova.show",
    NovaListServers = "nova.list",
    NovaListInstanceActions = "nova.instanceActions.list",
    NovaShowInstanceAction = "nova.instanceActions.show",
    NovaListInterfaces = "nova.interfaces.list",
    NovaShowInterface = "nova.interfaces.show",
    NovaListFlavors = "nova.flavors.list",
    NovaShowFlavor = "nova.flavors.show",
    NovaAttachVolume = "nova.volumeAttachments.create",
    NovaListVolumeAttachments = "nova.volumeAttachments.list",
    NovaShowVolumeAttachment = "nova.volumeAttachments.show",
    NovaDetachVolume = "nova.volumeAttachments.delete",
    NovaCreateImage = "nova.createImage",
    // ---- images ----
    ImageList = "ims.images.list",
    ImageShow = "ims.images.get",
    GlanceCreate = "glance.images.create",
    GlanceUpdate = "glance.images.update",
    GlanceDelete = "glance.images.delete",
    ImsList = "ims.cloudimages.list",
    ImsCreateFromServer = "ims.cloudimages.createFromServer",
    ImsUpdate = "ims.cloudimages.update",
    // ---- networks: Huawei VPC ----
    VpcCreate = "vpc.vpcs.create",
    VpcList = "vpc.vpcs.list",
    VpcShow = "vpc.vpcs.get",
    VpcUpdate = "vpc.vpcs.update",
    VpcDelete = "vpc.vpcs.delete",
    VpcSubnetCreate = "vpc.subnets.create",
    VpcSubnetList = "vpc.subnets.list",
    VpcSubnetShow = "vpc.subnets.get",
    VpcSubnetUpdate = "vpc.subnets.update",
    VpcSubnetDelete = "vpc.subnets.delete",
    VpcPortCreate = "vpc.ports.create",
    VpcPortList = "vpc.ports.list",
    VpcPortShow = "vpc.ports.get",
    VpcPortUpdate = "vpc.ports.update",
    VpcPortDelete = "vpc.ports.delete",
    VpcSecurityGroupCreate = "vpc.securityGroups.create",
    VpcSecurityGroupList = "vpc.securityGroups.list",
    VpcSecurityGroupShow = "vpc.securityGroups.get",
    VpcSecurityGroupDelete = "vpc.securityGroups.delete",
    VpcRuleCreate = "vpc.securityGroupRules.create",
    VpcRuleList = "vpc.securityGroupRules.list",
    VpcRuleShow = "vpc.securityGroupRules.get",
    VpcRuleDelete = "vpc.securityGroupRules.delete",
    // ---- networks: Neutron ----
    NetworkVersions = "versions.network",
    NeutronExtensions = "neutron.extensions.list",
    NeutronNetworkCreate = "neutron.networks.create",
    NeutronNetworkList = "neutron.networks.list",
    NeutronNetworkShow = "neutron.networks.get",
    NeutronNetworkUpdate = "neutron.networks.update",
    NeutronNetworkDelete = "neutron.networks.delete",
    NeutronSubnetCreate = "neutron.subnets.create",
    NeutronSubnetList = "neutron.subnets.list",
    NeutronSubnetShow = "neutron.subnets.get",
    NeutronSubnetUpdate = "neutron.subnets.update",
    NeutronSubnetDelete = "neutron.subnets.delete",
    NeutronPortCreate = "neutron.ports.create",
    NeutronPortList = "neutron.ports.list",
    NeutronPortShow = "neutron.ports.get",
    NeutronPortUpdate = "neutron.ports.update",
    NeutronPortDelete = "neutron.ports.delete",
    NeutronFloatingIpCreate = "neutron.floatingIps.create",
    NeutronFloatingIpList = "neutron.floatingIps.list",
    NeutronFloatingIpShow = "neutron.floatingIps.get",
    NeutronFloatingIpUpdate = "neutron.floatingIps.update",
    NeutronFloatingIpDelete = "neutron.floatingIps.delete",
    NeutronSecurityGroupCreate = "neutron.securityGroups.create",
    NeutronSecurityGroupList = "neutron.securityGroups.list",
    NeutronSecurityGroupShow = "neutron.securityGroups.get",
    NeutronSecurityGroupUpdate = "neutron.securityGroups.update",
    NeutronSecurityGroupDelete = "neutron.securityGroups.delete",
    NeutronRuleCreate = "neutron.securityGroupRules.create",
    NeutronRuleList = "neutron.securityGroupRules.list",
    NeutronRuleShow = "neutron.securityGroupRules.get",
    NeutronRuleDelete = "neutron.securityGroupRules.delete",
    // ---- block storage: Cinder v3 ----
    VolumeVersions = "versions.volume",
    CinderVolumeCreate = "cinder.volumes.create",
    CinderVolumeList = "cinder.volumes.list",
    CinderVolumeShow = "cinder.volumes.get",
    CinderVolumeUpdate = "cinder.volumes.update",
    CinderVolumeDelete = "cinder.volumes.delete",
    CinderTypeList = "cinder.types.list",
    CinderVolumeExtend = "cinder.volumes.extend",
    // ---- block storage: Huawei EVS ----
    EvsCreate = "evs.volumes.create",
    EvsList = "evs.volumes.list",
    EvsShow = "evs.volumes.get",
    EvsUpdate = "evs.volumes.update",
    EvsExtend = "evs.volumes.extend",
    EvsDelete = "evs.volumes.delete",
    // ---- identity: users ----
    IamListUsers = "iam.users.list",
    IamCreateUser = "iam.users.create",
    IamGetUser = "iam.users.get",
    IamUpdateUser = "iam.users.update",
    IamDeleteUser = "iam.users.delete",
    IamChangePassword = "iam.users.changePassword",
    IamListGroupsForUser = "iam.users.listGroups",
    // ---- identity: groups and membership ----
    IamListGroups = "iam.groups.list",
    IamCreateGroup = "iam.groups.create",
    IamGetGroup = "iam.groups.get",
    IamUpdateGroup = "iam.groups.update",
    IamDeleteGroup = "iam.groups.delete",
    IamListUsersForGroup = "iam.groups.listUsers",
    IamAddUserToGroup = "iam.groups.addUser",
    IamCheckUserInGroup = "iam.groups.checkUser",
    IamRemoveUserFromGroup = "iam.groups.removeUser",
    // ---- identity: projects and accounts ----
    IamListProjects = "iam.projects.list",
    IamCreateProject = "iam.projects.create",
    IamGetProject = "iam.projects.get",
    IamUpdateProject = "iam.projects.update",
    IamListDomains = "iam.domains.list",
    IamCreateDomain = "iam.domains.create",
    IamGetDomain = "iam.domains.get",
    // ---- identity: roles and custom policies ----
    IamListRoles = "iam.roles.list",
    IamGetRole = "iam.roles.get",
    IamCreateRole = "iam.roles.create",
    IamUpdateRole = "iam.roles.update",
    IamDeleteRole = "iam.roles.delete",
    // ---- identity: grants ----
    IamListRoleAssignments = "iam.roleAssignments.list",
    IamGrantGroupProject = "iam.grants.groupOnProject.grant",
    IamCheckGroupProject = "iam.grants.groupOnProject.check",
    IamListGroupProject = "iam.grants.groupOnProject.list",
    IamRevokeGroupProject = "iam.grants.groupOnProject.revoke",
    IamGrantGroupDomain = "iam.grants.groupOnDomain.grant",
    IamCheckGroupDomain = "iam.grants.groupOnDomain.check",
    IamListGroupDomain = "iam.grants.groupOnDomain.list",
    IamRevokeGroupDomain = "iam.grants.groupOnDomain.revoke",
    IamGrantGroupAllProjects = "iam.grants.groupOnAllProjects.grant",
    IamCheckGroupAllProjects = "iam.grants.groupOnAllProjects.check",
    IamListGroupAllProjects = "iam.grants.groupOnAllProjects.list",
    IamRevokeGroupAllProjects = "iam.grants.groupOnAllProjects.revoke",
    IamGrantUserProject = "iam.grants.userOnProject.grant",
    IamCheckUserProject = "iam.grants.userOnProject.check",
    IamListUserProject = "iam.grants.userOnProject.list",
    IamRevokeUserProject = "iam.grants.userOnProject.revoke",
    IamGrantUserDomain = "iam.grants.userOnDomain.grant",
    IamCheckUserDomain = "iam.grants.userOnDomain.check",
    IamListUserDomain = "iam.grants.userOnDomain.list",
    IamRevokeUserDomain = "iam.grants.userOnDomain.revoke",
    IamGrantUserAllProjects = "iam.grants.userOnAllProjects.grant",
    IamCheckUserAllProjects = "iam.grants.userOnAllProjects.check",
    IamListUserAllProjects = "iam.grants.userOnAllProjects.list",
    IamRevokeUserAllProjects = "iam.grants.userOnAllProjects.revoke",
    // ---- identity: access keys ----
    IamCreateCredential = "iam.credentials.create",
    IamListCredentials = "iam.credentials.list",
    IamGetCredential = "iam.credentials.get",
    IamUpdateCredential = "iam.credentials.update",
    IamDeleteCredential = "iam.credentials.delete",
    // ---- identity: tokens ----
    KeystoneDiscovery = "keystone.discovery",
    KeystoneIssueToken = "keystone.tokens.issue",
    KeystoneValidateToken = "keystone.tokens.validate",
    KeystoneCheckToken = "keystone.tokens.check",
    // ---- version documents and the operator API ----
    Versions = "versions.list",
    ComputeVersion21 = "versions.compute.v2_1",
    ComputeVersion20 = "versions.compute.v2",
    ImageVersions = "versions.image",
    AdminListFaults = "ecsd.faults.list",
    AdminAddFault = "ecsd.faults.add",
    AdminClearFaults = "ecsd.faults.clear",
    AdminExplain = "ecsd.iam.explain",
    AdminSuggest = "ecsd.iam.suggest",
    AdminAudit = "ecsd.audit.list",
}
