//! First start: the account `ecsd`, region project `local-1`, and the
//! administrator with a password and an AK/SK, written to `clouds.yaml` and
//! `credentials.env` (mode 0600) for the clients. Later starts reuse them
//! and only refresh the endpoint in those files.

use std::io::Write;
use std::path::Path;

use chrono::Utc;

use crate::control::identity::sealing::Sealer;
use crate::control::identity::{access_key_id, hash_password, random_secret};
use crate::domain::{hex_id, ControlResult};
use crate::domain::{Credential, Domain, Project, User};
use crate::domain::{ACCOUNT_NAME, ADMIN_NAME, REGION};
use crate::store::Store;

/// What the bootstrap knows about the administrator.
#[derive(Debug, Clone)]
pub struct BootstrapInfo {
    pub domain_id: String,
    pub project_id: String,
    pub user_id: String,
    pub access_key: String,
}

/// Creates the bootstrap identities once, then writes the client files.
pub async fn bootstrap(
    store: &dyn Store,
    sealer: &Sealer,
    data: &Path,
    endpoint: &str,
    admin_password: Option<String>,
) -> anyhow::Result<BootstrapInfo> {
    let existing = store.get_meta("bootstrap").await?;
    let env_path = data.join("credentials.env");
    let info = match existing {
        Some(json) => serde_json::from_str::<serde_json::Value>(&json).map(|v| BootstrapInfo {
            domain_id: v["domain_id"].as_str().unwrap_or_default().to_string(),
            project_id: v["project_id"].as_str().unwrap_or_default().to_string(),
            user_id: v["user_id"].as_str().unwrap_or_default().to_string(),
            access_key: v["access_key"].as_str().unwrap_or_default().to_string(),
        })?,
        None => {
            let password = admin_password.clone().unwrap_or_else(|| random_secret(18));
            let info = create(store, sealer, &password).await?;
            write_files(store, sealer, data, endpoint, &info, &password).await?;
            tracing::info!(credentials = %env_path.display(), clouds = %data.join("clouds.yaml").display(), "bootstrapped account ecsd; client settings written");
            return Ok(info);
        }
    };
    // Later starts keep every secret and only refresh the endpoint in the
    // files. The password written is one that still logs in: the one in the
    // file, else ECSD_ADMIN_PASSWORD; never one that would not work.
    let admin = store.get_user(&info.user_id).await?;
    let works = |pw: &String| {
        admin
            .as_ref()
            .is_some_and(|u| crate::control::identity::verify_password(pw, &u.password_hash))
    };
    let password = read_env(&env_path, "OS_PASSWORD")
        .filter(works)
        .or(admin_password.filter(works));
    match password {
        Some(pw) => {
            write_files(store, sealer, data, endpoint, &info, &pw).await?;
            tracing::info!(credentials = %env_path.display(), clouds = %data.join("clouds.yaml").display(), "client settings refreshed");
        }
        None => tracing::warn!(
            path = %env_path.display(),
            "no working admin password to write the client settings; keeping the files as they are \
             (ECSD_ADMIN_PASSWORD only sets the password on the first start)"
        ),
    }
    Ok(info)
}

async fn create(store: &dyn Store, sealer: &Sealer, password: &str) -> ControlResult<BootstrapInfo> {
    let domain = Domain {
        id: hex_id(),
        name: ACCOUNT_NAME.into(),
        enabled: true,
    };
    let project = Project {
        id: hex_id(),
        name: REGION.into(),
        domain_id: domain.id.clone(),
        parent_id: None,
        description: format!("Region {REGION}"),
        enabled: true,
    };
    let user = User {
        id: hex_id(),
        name: ADMIN_NAME.into(),
        domain_id: domain.id.clone(),
        password_hash: hash_password(password)?,
        enabled: true,
        account_admin: true,
        created: Utc::now(),
        description: String::new(),
        email: None,
        default_project_id: None,
    };
    let access = access_key_id();
    let cred = Credential {
        access: access.clone(),
        user_id: user.id.clone(),
        secret_sealed: sealer.seal(&random_secret(30))?,
        status: "active".into(),
        description: "bootstrap administrator".into(),
        created: Utc::now(),
    };
    store.put_domain(&domain).await?;
    store.put_project(&project).await?;
    store.put_user(&user).await?;
    store.put_credential(&cred).await?;
    let info = BootstrapInfo {
        domain_id: domain.id,
        project_id: project.id,
        user_id: user.id,
        access_key: access,
    };
    let meta = serde_json::json!({
        "domain_id": info.domain_id, "project_id": info.project_id,
        "user_id": info.user_id, "access_key": info.access_key,
    });
    store.set_meta("bootstrap", &meta.to_string()).await?;
    Ok(info)
}

fn read_env(path: &Path, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim().trim_matches('\'').to_string())
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::fs::PermissionsExt;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(tmp, path)
}

async fn write_files(
    store: &dyn Store,
    sealer: &Sealer,
    data: &Path,
    endpoint: &str,
    info: &BootstrapInfo,
    password: &str,
) -> anyhow::Result<()> {
    let secret = store
        .get_credential(&info.access_key)
        .await?
        .map(|c| sealer.unseal(&c.secret_sealed))
        .transpose()?
        .unwrap_or_default();
    let auth_url = format!("{endpoint}/v3");
    let env = format!(
        "ECSD_ENDPOINT={endpoint}\n\
         HUAWEICLOUD_SDK_AK={ak}\n\
         HUAWEICLOUD_SDK_SK={secret}\n\
         HUAWEICLOUD_SDK_PROJECT_ID={pid}\n\
         HUAWEICLOUD_SDK_DOMAIN_ID={did}\n\
         HUAWEICLOUD_SDK_REGION={REGION}\n\
         OS_AUTH_URL={auth_url}\n\
         OS_USERNAME={ADMIN_NAME}\n\
         OS_PASSWORD='{password}'\n\
         OS_PROJECT_ID={pid}\n\
         OS_PROJECT_NAME={REGION}\n\
         OS_USER_DOMAIN_NAME={ACCOUNT_NAME}\n\
         OS_PROJECT_DOMAIN_NAME={ACCOUNT_NAME}\n\
         OS_REGION_NAME={REGION}\n\
         OS_IDENTITY_API_VERSION=3\n\
         OS_INTERFACE=public\n",
        ak = info.access_key,
        pid = info.project_id,
        did = info.domain_id,
    );
    write_private(&data.join("credentials.env"), &env)?;
    let clouds = format!(
        "clouds:\n  ecsd:\n    auth:\n      auth_url: {auth_url}\n      username: {ADMIN_NAME}\n      password: '{password}'\n      project_id: {pid}\n      user_domain_name: {ACCOUNT_NAME}\n      project_domain_name: {ACCOUNT_NAME}\n    region_name: {REGION}\n    interface: public\n    identity_api_version: 3\n",
        pid = info.project_id,
    );
    write_private(&data.join("clouds.yaml"), &clouds)?;
    Ok(())
}

/// The region's networks, on every start if missing: the shared default
/// VPC with its shared subnet (Neutron's network `private`, a block that
/// holds a million servers), and the external network `public` floating
/// IPs come from.
pub async fn default_network(
    store: &dyn Store,
    owner_project: &str,
    default_block: crate::domain::AddressRange,
) -> ControlResult<()> {
    use crate::domain::{
        AddressRange, Vpc, DEFAULT_NETWORK_NAME, DEFAULT_NEUTRON_SUBNET_ID, DEFAULT_SUBNET_ID, DEFAULT_VPC_CIDR,
        DEFAULT_VPC_ID, EXTERNAL_CIDR, EXTERNAL_NETWORK_ID, EXTERNAL_NETWORK_NAME, EXTERNAL_SUBNET_ID,
    };
    if store.get_vpc(DEFAULT_VPC_ID).await?.is_none() {
        let now = Utc::now();
        store
            .put_vpc(&Vpc {
                id: DEFAULT_VPC_ID.into(),
                project_id: owner_project.into(),
                name: "default".into(),
                description: "The region's default VPC, shared by every project.".into(),
                cidr: DEFAULT_VPC_CIDR.into(),
                shared: true,
                created: now,
                updated: now,
            })
            .await?;
    }
    let default = SharedNetwork {
        id: DEFAULT_SUBNET_ID,
        name: DEFAULT_NETWORK_NAME,
        description: "The default subnet, shared by every project.",
        vpc_id: Some(DEFAULT_VPC_ID),
        external: false,
        subnet_id: DEFAULT_NEUTRON_SUBNET_ID,
        block: default_block,
    };
    ensure_shared_network(store, owner_project, &default).await?;
    let external = SharedNetwork {
        id: EXTERNAL_NETWORK_ID,
        name: EXTERNAL_NETWORK_NAME,
        description: "The external network floating IPs come from.",
        vpc_id: None,
        external: true,
        subnet_id: EXTERNAL_SUBNET_ID,
        block: AddressRange::parse(EXTERNAL_CIDR)
            .ok_or_else(|| crate::domain::ControlError::internal("the external block is not a block"))?,
    };
    ensure_shared_network(store, owner_project, &external).await
}

/// The region's public images (the inventory's), on every start if
/// missing; an image already stored keeps its record.
pub async fn public_images(store: &dyn Store, inventory: &dyn crate::domain::Inventory) -> ControlResult<()> {
    for image in inventory.images() {
        let seeded = crate::domain::Image {
            owner: None,
            visibility: "public".into(),
            ..image.clone()
        };
        store.insert_image(&seeded).await?;
    }
    Ok(())
}

/// A network every project may use, with its one subnet.
struct SharedNetwork {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    vpc_id: Option<&'static str>,
    external: bool,
    subnet_id: &'static str,
    block: crate::domain::AddressRange,
}

async fn ensure_shared_network(store: &dyn Store, owner_project: &str, n: &SharedNetwork) -> ControlResult<()> {
    use crate::domain::{AllocationPool, Network, Subnet};
    let now = Utc::now();
    if store.get_network(n.id).await?.is_none() {
        store
            .put_network(&Network {
                id: n.id.into(),
                project_id: owner_project.into(),
                name: n.name.into(),
                description: n.description.into(),
                vpc_id: n.vpc_id.map(str::to_string),
                admin_state_up: true,
                shared: true,
                external: n.external,
                mtu: 1500,
                created: now,
                updated: now,
            })
            .await?;
    }
    if store.get_subnet(n.subnet_id).await?.is_none() {
        let subnet = Subnet {
            id: n.subnet_id.into(),
            network_id: n.id.into(),
            project_id: owner_project.into(),
            name: format!("{}-subnet", n.name),
            description: String::new(),
            cidr: n.block.to_string(),
            gateway_ip: Some(n.block.gateway().to_string()),
            allocation_pools: vec![AllocationPool {
                start: n.block.first_host().to_string(),
                end: n.block.last_host().to_string(),
            }],
            enable_dhcp: !n.external,
            dns_nameservers: Vec::new(),
            shared: true,
            created: now,
            updated: now,
        };
        store.create_subnet(&subnet, n.vpc_id.unwrap_or(n.id)).await?;
    }
    Ok(())
}
