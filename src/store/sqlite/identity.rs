//! Accounts, projects, users, credentials, groups, custom policies, grants
//! and tokens.

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::params;

use super::{key, to_doc, ts, SqliteStore};
use crate::domain::{ControlResult, Credential, CustomRole, Domain, Grant, Group, Project, TokenRecord, User};
use crate::store::IdentityStore;

#[async_trait]
impl IdentityStore for SqliteStore {
    async fn put_domain(&self, d: &Domain) -> ControlResult<()> {
        let d = d.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO domains (id, name, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
                params![d.id, d.name, to_doc(&d)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_domain(&self, id: &str) -> ControlResult<Option<Domain>> {
        self.get_doc("SELECT doc FROM domains WHERE id = ?1", key![id]).await
    }

    async fn find_domain(&self, name: &str) -> ControlResult<Option<Domain>> {
        self.get_doc("SELECT doc FROM domains WHERE name = ?1", key![name])
            .await
    }

    async fn put_project(&self, p: &Project) -> ControlResult<()> {
        let p = p.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO projects (id, domain_id, name, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
                params![p.id, p.domain_id, p.name, to_doc(&p)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_project(&self, id: &str) -> ControlResult<Option<Project>> {
        self.get_doc("SELECT doc FROM projects WHERE id = ?1", key![id]).await
    }

    async fn find_project(&self, domain_id: &str, name: &str) -> ControlResult<Option<Project>> {
        self.get_doc(
            "SELECT doc FROM projects WHERE domain_id = ?1 AND name = ?2",
            key![domain_id, name],
        )
        .await
    }

    async fn list_projects(&self, domain_id: &str) -> ControlResult<Vec<Project>> {
        self.get_docs(
            "SELECT doc FROM projects WHERE domain_id = ?1 ORDER BY name",
            key![domain_id],
        )
        .await
    }

    async fn put_user(&self, u: &User) -> ControlResult<()> {
        let u = u.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO users (id, domain_id, name, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
                params![u.id, u.domain_id, u.name, to_doc(&u)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_user(&self, id: &str) -> ControlResult<Option<User>> {
        self.get_doc("SELECT doc FROM users WHERE id = ?1", key![id]).await
    }

    async fn find_user(&self, domain_id: &str, name: &str) -> ControlResult<Option<User>> {
        self.get_doc(
            "SELECT doc FROM users WHERE domain_id = ?1 AND name = ?2",
            key![domain_id, name],
        )
        .await
    }

    async fn put_credential(&self, cr: &Credential) -> ControlResult<()> {
        let cr = cr.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO credentials (access, user_id, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(access) DO UPDATE SET doc = excluded.doc",
                params![cr.access, cr.user_id, to_doc(&cr)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_credential(&self, access: &str) -> ControlResult<Option<Credential>> {
        self.get_doc("SELECT doc FROM credentials WHERE access = ?1", key![access])
            .await
    }

    async fn list_domains(&self) -> ControlResult<Vec<Domain>> {
        self.get_docs("SELECT doc FROM domains ORDER BY name", key![]).await
    }

    async fn list_users(&self, domain_id: &str) -> ControlResult<Vec<User>> {
        self.get_docs(
            "SELECT doc FROM users WHERE domain_id = ?1 ORDER BY name",
            key![domain_id],
        )
        .await
    }

    async fn delete_user(&self, id: &str) -> ControlResult<()> {
        let id = id.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM users WHERE id = ?1", [&id])?;
            tx.execute("DELETE FROM group_members WHERE user_id = ?1", [&id])?;
            tx.execute("DELETE FROM grants WHERE actor = 'user' AND actor_id = ?1", [&id])?;
            tx.execute("DELETE FROM credentials WHERE user_id = ?1", [&id])?;
            tx.execute("DELETE FROM tokens WHERE user_id = ?1", [&id])?;
            Ok(())
        })
        .await
    }

    async fn list_credentials(&self, user_id: Option<&str>) -> ControlResult<Vec<Credential>> {
        match user_id {
            Some(u) => {
                self.get_docs(
                    "SELECT doc FROM credentials WHERE user_id = ?1 ORDER BY access",
                    key![u],
                )
                .await
            }
            None => {
                self.get_docs("SELECT doc FROM credentials ORDER BY access", key![])
                    .await
            }
        }
    }

    async fn delete_credential(&self, access: &str) -> ControlResult<()> {
        let access = access.to_owned();
        self.write(move |c| {
            c.execute("DELETE FROM credentials WHERE access = ?1", [&access])?;
            Ok(())
        })
        .await
    }

    async fn put_group(&self, g: &Group) -> ControlResult<()> {
        let g = g.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO groups (id, domain_id, name, doc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc",
                params![g.id, g.domain_id, g.name, to_doc(&g)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_group(&self, id: &str) -> ControlResult<Option<Group>> {
        self.get_doc("SELECT doc FROM groups WHERE id = ?1", key![id]).await
    }

    async fn list_groups(&self, domain_id: &str) -> ControlResult<Vec<Group>> {
        self.get_docs(
            "SELECT doc FROM groups WHERE domain_id = ?1 ORDER BY name",
            key![domain_id],
        )
        .await
    }

    async fn delete_group(&self, id: &str) -> ControlResult<()> {
        let id = id.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM groups WHERE id = ?1", [&id])?;
            tx.execute("DELETE FROM group_members WHERE group_id = ?1", [&id])?;
            tx.execute("DELETE FROM grants WHERE actor = 'group' AND actor_id = ?1", [&id])?;
            Ok(())
        })
        .await
    }

    async fn add_member(&self, group_id: &str, user_id: &str) -> ControlResult<()> {
        let group_id = group_id.to_owned();
        let user_id = user_id.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)",
                [group_id, user_id],
            )?;
            Ok(())
        })
        .await
    }

    async fn remove_member(&self, group_id: &str, user_id: &str) -> ControlResult<bool> {
        let group_id = group_id.to_owned();
        let user_id = user_id.to_owned();
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM group_members WHERE group_id = ?1 AND user_id = ?2",
                [group_id, user_id],
            )? == 1)
        })
        .await
    }

    async fn members_of(&self, group_id: &str) -> ControlResult<Vec<String>> {
        let group_id = group_id.to_owned();
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT user_id FROM group_members WHERE group_id = ?1 ORDER BY user_id")?;
            let rows = stmt
                .query_map([group_id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn groups_of(&self, user_id: &str) -> ControlResult<Vec<String>> {
        let user_id = user_id.to_owned();
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT group_id FROM group_members WHERE user_id = ?1 ORDER BY group_id")?;
            let rows = stmt
                .query_map([user_id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn put_role(&self, r: &CustomRole) -> ControlResult<()> {
        let r = r.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO roles (id, domain_id, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![r.id, r.domain_id, to_doc(&r)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_role(&self, id: &str) -> ControlResult<Option<CustomRole>> {
        self.get_doc("SELECT doc FROM roles WHERE id = ?1", key![id]).await
    }

    async fn list_roles(&self, domain_id: &str) -> ControlResult<Vec<CustomRole>> {
        self.get_docs(
            "SELECT doc FROM roles WHERE domain_id = ?1 ORDER BY rowid",
            key![domain_id],
        )
        .await
    }

    async fn delete_role(&self, id: &str) -> ControlResult<()> {
        let id = id.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM roles WHERE id = ?1", [&id])?;
            tx.execute("DELETE FROM grants WHERE role_id = ?1", [&id])?;
            Ok(())
        })
        .await
    }

    async fn put_grant(&self, g: &Grant) -> ControlResult<bool> {
        let g = g.to_owned();
        self.write(move |c| {
            let n = c.execute(
                "INSERT OR IGNORE INTO grants (scope, scope_id, actor, actor_id, role_id, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![g.scope.as_str(), g.scope_id, g.actor.as_str(), g.actor_id, g.role_id, to_doc(&g)?],
            )?;
            Ok(n == 1)
        }).await
    }

    async fn delete_grant(&self, g: &Grant) -> ControlResult<bool> {
        let g = g.to_owned();
        self.write(move |c| {
            let n = c.execute(
                "DELETE FROM grants WHERE scope = ?1 AND scope_id = ?2 AND actor = ?3 AND actor_id = ?4 AND role_id = ?5",
                params![g.scope.as_str(), g.scope_id, g.actor.as_str(), g.actor_id, g.role_id],
            )?;
            Ok(n == 1)
        }).await
    }

    async fn grants_of(&self, actor_ids: &[String]) -> ControlResult<Vec<Grant>> {
        let mut out = Vec::new();
        for id in actor_ids {
            out.extend(
                self.get_docs::<Grant>("SELECT doc FROM grants WHERE actor_id = ?1", key![id])
                    .await?,
            );
        }
        Ok(out)
    }

    async fn grants_on(&self, scope_id: &str) -> ControlResult<Vec<Grant>> {
        self.get_docs("SELECT doc FROM grants WHERE scope_id = ?1", key![scope_id])
            .await
    }

    async fn put_token(&self, t: &TokenRecord) -> ControlResult<()> {
        let t = t.to_owned();
        self.write(move |c| {
            // Expired tokens are pruned as new ones are issued.
            c.execute("DELETE FROM tokens WHERE expires_at < ?1", [ts(Utc::now())])?;
            c.execute(
                "INSERT INTO tokens (hash, user_id, expires_at, doc) VALUES (?1, ?2, ?3, ?4)",
                params![t.hash, t.user_id, ts(t.expires_at), to_doc(&t)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn get_token(&self, hash: &str) -> ControlResult<Option<TokenRecord>> {
        self.get_doc("SELECT doc FROM tokens WHERE hash = ?1", key![hash]).await
    }

    async fn delete_token(&self, hash: &str) -> ControlResult<bool> {
        let hash = hash.to_string();
        self.write(move |c| Ok(c.execute("DELETE FROM tokens WHERE hash = ?1", [&hash])? == 1))
            .await
    }

    async fn delete_tokens_of_user(&self, user_id: &str) -> ControlResult<u64> {
        let user_id = user_id.to_string();
        self.write(move |c| Ok(c.execute("DELETE FROM tokens WHERE user_id = ?1", [&user_id])? as u64))
            .await
    }
}
