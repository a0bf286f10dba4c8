//! Authentication: passwords (argon2), tokens and AK/SK keys. Token
//! validation is the hot path, so validated tokens are kept in memory and
//! only the SHA-256 of a token is ever stored.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::{AuthMethod, Caller, ControlError, ControlResult};
use crate::domain::{Domain, Project, TokenRecord, User};
use crate::store::Store;

/// Tokens live 24 hours unless configured otherwise.
pub const TOKEN_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// What a password authentication asks to be scoped to.
#[derive(Debug, Clone)]
pub enum Scope {
    ProjectId(String),
    ProjectName {
        name: String,
        domain_id: Option<String>,
        domain_name: Option<String>,
    },
    DomainId(String),
    DomainName(String),
    Unscoped,
}

/// Who the user names themself as.
#[derive(Debug, Clone)]
pub enum UserRef {
    Id(String),
    Name {
        name: String,
        domain_id: Option<String>,
        domain_name: Option<String>,
    },
}

/// A validated token with everything a response or a caller needs.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub record: TokenRecord,
    pub user: User,
    pub domain: Domain,
    pub project: Option<Project>,
}

impl TokenInfo {
    /// The caller of any token: project-scoped, or for the account only
    /// (empty project), which identity management accepts.
    pub fn any_caller(&self) -> Caller {
        self.caller().unwrap_or_else(|| Caller {
            user_id: self.user.id.clone(),
            user_name: self.user.name.clone(),
            domain_id: self.domain.id.clone(),
            domain_name: self.domain.name.clone(),
            project_id: String::new(),
            project_name: String::new(),
            is_admin: self.user.account_admin,
            method: AuthMethod::Token,
            trace: Default::default(),
        })
    }

    /// The caller a project-scoped token stands for.
    pub fn caller(&self) -> Option<Caller> {
        let p = self.project.as_ref()?;
        Some(Caller {
            user_id: self.user.id.clone(),
            user_name: self.user.name.clone(),
            domain_id: self.domain.id.clone(),
            domain_name: self.domain.name.clone(),
            project_id: p.id.clone(),
            project_name: p.name.clone(),
            is_admin: self.user.account_admin,
            method: AuthMethod::Token,
            trace: Default::default(),
        })
    }
}

pub struct Identity {
    store: Arc<dyn Store>,
    sealer: super::sealing::Sealer,
    token_ttl: chrono::TimeDelta,
    /// Validated tokens by hash; dropped on revocation.
    cache: RwLock<HashMap<String, TokenInfo>>,
}

/// SHA-256 of a token, the only form in which it is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn hash_password(password: &str) -> ControlResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ControlError::internal)
}

/// Constant-time by construction (argon2 compares digests in constant time).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A random url-safe secret of `bytes` bytes.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A real hash to verify against when the user does not exist.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-password").unwrap_or_default())
}

fn unauthorized() -> ControlError {
    ControlError::Unauthenticated {
        message: "The request you have made requires authentication.".into(),
    }
}

impl Identity {
    pub fn new(store: Arc<dyn Store>, sealer: super::sealing::Sealer) -> Identity {
        Identity::with_token_ttl(store, sealer, TOKEN_TTL)
    }

    pub fn with_token_ttl(
        store: Arc<dyn Store>,
        sealer: super::sealing::Sealer,
        token_ttl: chrono::TimeDelta,
    ) -> Identity {
        Identity {
            store,
            sealer,
            token_ttl,
            cache: RwLock::new(HashMap::new()),
        }
    }

    async fn resolve_domain(&self, id: &Option<String>, name: &Option<String>) -> ControlResult<Option<Domain>> {
        if let Some(id) = id {
            return self.store.get_domain(id).await;
        }
        if let Some(name) = name {
            return self.store.find_domain(name).await;
        }
        Ok(None)
    }

    /// Checks a password and issues a token for the requested scope.
    pub async fn authenticate_password(
        &self,
        user: &UserRef,
        password: &str,
        scope: &Scope,
    ) -> ControlResult<(String, TokenInfo)> {
        let user = match user {
            UserRef::Id(id) => self.store.get_user(id).await?,
            UserRef::Name {
                name,
                domain_id,
                domain_name,
            } => match self.resolve_domain(domain_id, domain_name).await? {
                Some(d) => self.store.find_user(&d.id, name).await?,
                None => None,
            },
        };
        // Hash even when the user is unknown so timing does not reveal it.
        let Some(user) = user else {
            let _ = verify_password(password, dummy_hash());
            return Err(unauthorized());
        };
        if !verify_password(password, &user.password_hash) || !user.enabled {
            return Err(unauthorized());
        }
        self.issue(user, scope, vec!["password".into()]).await
    }

    /// Re-scopes an existing token (Keystone's `token` method).
    pub async fn authenticate_token(&self, token: &str, scope: &Scope) -> ControlResult<(String, TokenInfo)> {
        let info = self.validate(token).await?;
        self.issue(info.user, scope, vec!["token".into()]).await
    }

    async fn issue(&self, user: User, scope: &Scope, methods: Vec<String>) -> ControlResult<(String, TokenInfo)> {
        let domain = self
            .store
            .get_domain(&user.domain_id)
            .await?
            .filter(|d| d.enabled)
            .ok_or_else(unauthorized)?;
        let project = match scope {
            Scope::ProjectId(id) => Some(self.store.get_project(id).await?.ok_or_else(unauthorized)?),
            Scope::ProjectName {
                name,
                domain_id,
                domain_name,
            } => {
                let d = self
                    .resolve_domain(domain_id, domain_name)
                    .await?
                    .ok_or_else(unauthorized)?;
                Some(self.store.find_project(&d.id, name).await?.ok_or_else(unauthorized)?)
            }
            Scope::DomainId(id) if id != &domain.id => return Err(unauthorized()),
            Scope::DomainName(n) if n != &domain.name => return Err(unauthorized()),
            _ => None,
        };
        // A user may only scope to projects of its own account.
        if let Some(p) = &project {
            if p.domain_id != domain.id || !p.enabled {
                return Err(unauthorized());
            }
        }
        let token = random_secret(32);
        let now = Utc::now();
        let record = TokenRecord {
            hash: token_hash(&token),
            user_id: user.id.clone(),
            project_id: project.as_ref().map(|p| p.id.clone()),
            domain_id: domain.id.clone(),
            issued_at: now,
            expires_at: now + self.token_ttl,
            audit_id: random_secret(16),
            methods,
        };
        self.store.put_token(&record).await?;
        let info = TokenInfo {
            record,
            user,
            domain,
            project,
        };
        self.cache.write().insert(info.record.hash.clone(), info.clone());
        Ok((token, info))
    }

    /// Validates a token: cache first, then the store. Expired or revoked
    /// tokens are refused.
    pub async fn validate(&self, token: &str) -> ControlResult<TokenInfo> {
        let hash = token_hash(token);
        let now = Utc::now();
        if let Some(info) = self.cache.read().get(&hash) {
            if info.record.expires_at > now {
                return Ok(info.clone());
            }
        }
        let record = self.store.get_token(&hash).await?.ok_or_else(unauthorized)?;
        if record.expires_at <= now {
            return Err(ControlError::Unauthenticated {
                message: "The token has expired.".into(),
            });
        }
        let user = self
            .store
            .get_user(&record.user_id)
            .await?
            .filter(|u| u.enabled)
            .ok_or_else(unauthorized)?;
        let domain = self
            .store
            .get_domain(&record.domain_id)
            .await?
            .ok_or_else(unauthorized)?;
        let project = match &record.project_id {
            Some(p) => Some(self.store.get_project(p).await?.ok_or_else(unauthorized)?),
            None => None,
        };
        let info = TokenInfo {
            record,
            user,
            domain,
            project,
        };
        self.cache.write().insert(hash, info.clone());
        Ok(info)
    }

    /// Revokes one token (Keystone's `DELETE /v3/auth/tokens`): the caller's
    /// own, or any of its account's for the account administrator. A token
    /// that does not validate is not found.
    pub async fn revoke_token(&self, caller: &TokenInfo, subject: &str) -> ControlResult<()> {
        let info = self.validate(subject).await.map_err(|_| ControlError::NotFound {
            code: "IAM.0004",
            message: "Could not find token.".into(),
        })?;
        let own = info.user.id == caller.user.id;
        let admin_of_account = caller.user.account_admin && caller.domain.id == info.domain.id;
        if !own && !admin_of_account {
            return Err(ControlError::Forbidden {
                missing: vec!["identity:revoke_token".into()],
            });
        }
        let hash = token_hash(subject);
        self.store.delete_token(&hash).await?;
        self.cache.write().remove(&hash);
        Ok(())
    }

    /// Revokes every token of a user (disable, delete, password change).
    pub async fn revoke_user_tokens(&self, user_id: &str) -> ControlResult<()> {
        self.store.delete_tokens_of_user(user_id).await?;
        self.cache.write().retain(|_, t| t.user_id_is_not(user_id));
        Ok(())
    }

    /// Puts a changed user record (name, description...) into the cached
    /// tokens of that user, so that callers see the change at once.
    pub fn refresh_cached_user(&self, user: &User) {
        for info in self.cache.write().values_mut() {
            if info.user.id == user.id {
                info.user = user.clone();
            }
        }
    }

    /// The secret key and owner of an access key, for signature checks.
    pub async fn access_key(&self, access: &str) -> ControlResult<Option<(String, User, Domain)>> {
        let Some(cred) = self.store.get_credential(access).await? else {
            return Ok(None);
        };
        if cred.status != "active" {
            return Ok(None);
        }
        let Some(user) = self.store.get_user(&cred.user_id).await?.filter(|u| u.enabled) else {
            return Ok(None);
        };
        let Some(domain) = self.store.get_domain(&user.domain_id).await? else {
            return Ok(None);
        };
        Ok(Some((self.sealer.unseal(&cred.secret_sealed)?, user, domain)))
    }

    /// The caller of an AK/SK request made for the account (no project).
    pub fn domain_caller(&self, user: &User, domain: &Domain) -> Caller {
        Caller {
            user_id: user.id.clone(),
            user_name: user.name.clone(),
            domain_id: domain.id.clone(),
            domain_name: domain.name.clone(),
            project_id: String::new(),
            project_name: String::new(),
            is_admin: user.account_admin,
            method: AuthMethod::AkSk,
            trace: Default::default(),
        }
    }

    /// The caller of an AK/SK request for the project named in the path.
    pub async fn caller_for_project(&self, user: &User, domain: &Domain, project_id: &str) -> ControlResult<Caller> {
        let project = self
            .store
            .get_project(project_id)
            .await?
            .filter(|p| p.domain_id == domain.id)
            .ok_or_else(|| ControlError::Unauthenticated {
                message: format!("The project {project_id} is not in the account of the access key."),
            })?;
        Ok(Caller {
            user_id: user.id.clone(),
            user_name: user.name.clone(),
            domain_id: domain.id.clone(),
            domain_name: domain.name.clone(),
            project_id: project.id,
            project_name: project.name,
            is_admin: user.account_admin,
            method: AuthMethod::AkSk,
            trace: Default::default(),
        })
    }

    /// Seals a secret for storage (AK/SK secret keys).
    pub fn seal(&self, plain: &str) -> ControlResult<String> {
        self.sealer.seal(plain)
    }

    pub fn unseal(&self, sealed: &str) -> ControlResult<String> {
        self.sealer.unseal(sealed)
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

impl TokenInfo {
    fn user_id_is_not(&self, user_id: &str) -> bool {
        self.record.user_id != user_id
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.record.expires_at
    }
}

/// Access keys look like Huawei's: 20 upper-case letters and digits.
pub fn access_key_id() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    (0..20).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}
