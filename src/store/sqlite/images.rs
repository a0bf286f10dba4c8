//! Images: one row each, with the owner and visibility a list selects on.

use async_trait::async_trait;
use rusqlite::{params, Connection};

use super::{key, to_doc, DbResult, SqliteStore};
use crate::domain::{ControlResult, Image, ImageMember};
use crate::store::ImageStore;

/// A project's own images, every public or community one, and those shared
/// with it that it accepted, each list read from its index.
const VISIBLE: &str = "SELECT doc FROM images WHERE owner = ?1
     UNION SELECT doc FROM images WHERE visibility = 'public'
     UNION SELECT doc FROM images WHERE visibility = 'community'
     UNION SELECT i.doc FROM image_members m JOIN images i ON i.id = m.image_id
         WHERE m.member_id = ?1 AND m.status = 'accepted'";

/// Creates or replaces an image's row.
pub(super) fn write_image(c: &Connection, i: &Image, doc: &str) -> DbResult<()> {
    c.prepare_cached(
        "INSERT INTO images (id, owner, visibility, doc) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, visibility = excluded.visibility,
             doc = excluded.doc",
    )?
    .execute(params![i.id, i.owner, i.visibility, doc])?;
    Ok(())
}

#[async_trait]
impl ImageStore for SqliteStore {
    async fn insert_image(&self, i: &Image) -> ControlResult<bool> {
        let (i, doc) = (i.clone(), to_doc(i)?);
        self.write(move |c| {
            let n = c
                .prepare_cached("INSERT OR IGNORE INTO images (id, owner, visibility, doc) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![i.id, i.owner, i.visibility, doc])?;
            Ok(n == 1)
        })
        .await
    }

    async fn put_image(&self, i: &Image) -> ControlResult<()> {
        let (i, doc) = (i.clone(), to_doc(i)?);
        self.write(move |c| write_image(c, &i, &doc)).await
    }

    async fn get_image(&self, id: &str) -> ControlResult<Option<Image>> {
        self.get_doc("SELECT doc FROM images WHERE id = ?1", key![id]).await
    }

    async fn list_images(&self, project_id: &str) -> ControlResult<Vec<Image>> {
        let mut all: Vec<Image> = self.get_docs(VISIBLE, key![project_id]).await?;
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }

    async fn delete_image(&self, id: &str) -> ControlResult<()> {
        let id = id.to_string();
        self.write(move |c| {
            c.prepare_cached("DELETE FROM images WHERE id = ?1")?.execute([&id])?;
            c.prepare_cached("DELETE FROM image_members WHERE image_id = ?1")?
                .execute([&id])?;
            Ok(())
        })
        .await
    }

    async fn add_image_member(&self, m: &ImageMember) -> ControlResult<bool> {
        let (m, doc) = (m.clone(), to_doc(m)?);
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "INSERT OR IGNORE INTO image_members (image_id, member_id, status, doc) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![m.image_id, m.member_id, m.status, doc])?;
            Ok(n == 1)
        })
        .await
    }

    async fn put_image_member(&self, m: &ImageMember) -> ControlResult<()> {
        let (m, doc) = (m.clone(), to_doc(m)?);
        self.write(move |c| {
            c.prepare_cached("UPDATE image_members SET status = ?3, doc = ?4 WHERE image_id = ?1 AND member_id = ?2")?
                .execute(params![m.image_id, m.member_id, m.status, doc])?;
            Ok(())
        })
        .await
    }

    async fn image_member(&self, image_id: &str, member_id: &str) -> ControlResult<Option<ImageMember>> {
        self.get_doc(
            "SELECT doc FROM image_members WHERE image_id = ?1 AND member_id = ?2",
            key![image_id, member_id],
        )
        .await
    }

    async fn image_members(&self, image_id: &str) -> ControlResult<Vec<ImageMember>> {
        self.get_docs(
            "SELECT doc FROM image_members WHERE image_id = ?1 ORDER BY member_id",
            key![image_id],
        )
        .await
    }

    async fn remove_image_member(&self, image_id: &str, member_id: &str) -> ControlResult<bool> {
        let (image_id, member_id) = (image_id.to_string(), member_id.to_string());
        self.write(move |c| {
            let n = c
                .prepare_cached("DELETE FROM image_members WHERE image_id = ?1 AND member_id = ?2")?
                .execute([image_id, member_id])?;
            Ok(n == 1)
        })
        .await
    }
}
