//! Users' key pairs: one row each, keyed by user and name.

use async_trait::async_trait;
use rusqlite::params;

use super::{key, to_doc, SqliteStore};
use crate::domain::{ControlResult, KeyPair};
use crate::store::KeyPairStore;

#[async_trait]
impl KeyPairStore for SqliteStore {
    async fn insert_keypair(&self, k: &KeyPair) -> ControlResult<bool> {
        let (k, doc) = (k.clone(), to_doc(k)?);
        self.write(move |c| {
            let n = c
                .prepare_cached("INSERT OR IGNORE INTO keypairs (user_id, name, doc) VALUES (?1, ?2, ?3)")?
                .execute(params![k.user_id, k.name, doc])?;
            Ok(n == 1)
        })
        .await
    }

    async fn get_keypair(&self, user_id: &str, name: &str) -> ControlResult<Option<KeyPair>> {
        self.get_doc(
            "SELECT doc FROM keypairs WHERE user_id = ?1 AND name = ?2",
            key![user_id, name],
        )
        .await
    }

    async fn list_keypairs(&self, user_id: &str) -> ControlResult<Vec<KeyPair>> {
        self.get_docs(
            "SELECT doc FROM keypairs WHERE user_id = ?1 ORDER BY name",
            key![user_id],
        )
        .await
    }

    async fn delete_keypair(&self, user_id: &str, name: &str) -> ControlResult<bool> {
        let (user_id, name) = (user_id.to_string(), name.to_string());
        self.write(move |c| {
            let n = c
                .prepare_cached("DELETE FROM keypairs WHERE user_id = ?1 AND name = ?2")?
                .execute([user_id, name])?;
            Ok(n == 1)
        })
        .await
    }
}
