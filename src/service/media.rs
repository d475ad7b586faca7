//! Uploads: images are decoded, checked and re-encoded (which drops metadata such as GPS
//! positions); documents are checked by their content, not their name.
use image::{GenericImageView, ImageFormat};

use crate::app::AppState;
use crate::db::entities::media_attachments;
use crate::db::queries::statuses as sq;
use crate::error::{AppError, AppResult};

/// What a client sent.
#[derive(Debug, Clone)]
pub struct Upload {
    pub bytes: Vec<u8>,
    pub file_name: String,
}

/// What an upload is for: it decides size limits and image dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Attachment,
    Avatar,
    Header,
}

impl Purpose {
    fn kind(self) -> &'static str {
        match self {
            Self::Attachment => "image",
            Self::Avatar => "avatar",
            Self::Header => "header",
        }
    }
}

/// Accepted document types: (extension, MIME type).
const DOCUMENTS: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("csv", "text/csv"),
];

/// The checked, re-encoded form of an upload.
struct Prepared {
    kind: &'static str,
    content_type: &'static str,
    ext: &'static str,
    bytes: Vec<u8>,
    width: u32,
    height: u32,
}

fn extension(name: &str) -> String {
    name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
}

fn is_zip(b: &[u8]) -> bool {
    b.starts_with(b"PK\x03\x04")
}

/// Recognises a document by its bytes; the name only chooses between the zip-based formats.
fn sniff_document(bytes: &[u8], name: &str) -> Option<(&'static str, &'static str)> {
    let ext = extension(name);
    if bytes.starts_with(b"%PDF-") {
        return Some(DOCUMENTS[0]);
    }
    if is_zip(bytes) {
        let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        return match ext.as_str() {
            "docx" if contains(b"word/") => Some(DOCUMENTS[1]),
            "xlsx" if contains(b"xl/") => Some(DOCUMENTS[2]),
            "odt" if contains(b"application/vnd.oasis.opendocument.text") => Some(DOCUMENTS[3]),
            _ => None,
        };
    }
    if ext == "csv" && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        return Some(DOCUMENTS[4]);
    }
    None
}

fn prepare(upload: &Upload, purpose: Purpose, limits: &crate::config::Limits) -> AppResult<Prepared> {
    let bytes = &upload.bytes;
    if bytes.is_empty() {
        return Err(AppError::unprocessable("The file is empty"));
    }
    let image_limit = match purpose {
        Purpose::Attachment => limits.max_image_bytes,
        Purpose::Avatar | Purpose::Header => limits.max_avatar_bytes,
    };
    if let Ok(format) = image::guess_format(bytes) {
        if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP) {
            return Err(AppError::unprocessable("Images must be PNG, JPEG, GIF or WebP"));
        }
        if bytes.len() > image_limit {
            return Err(AppError::too_large(format!("Images must be {} MB or smaller", image_limit / 1_048_576)));
        }
        return reencode(bytes, format, purpose);
    }
    if purpose != Purpose::Attachment {
        return Err(AppError::unprocessable("Upload a PNG, JPEG, GIF or WebP image"));
    }
    let Some((ext, mime)) = sniff_document(bytes, &upload.file_name) else {
        return Err(AppError::unprocessable(
            "This type of file is not allowed: attach an image (PNG, JPEG, GIF, WebP) or a document (PDF, DOCX, XLSX, ODT, CSV)",
        ));
    };
    if bytes.len() > limits.max_document_bytes {
        return Err(AppError::too_large(format!(
            "Documents must be {} MB or smaller",
            limits.max_document_bytes / 1_048_576
        )));
    }
    Ok(Prepared { kind: "document", content_type: mime, ext, bytes: bytes.clone(), width: 0, height: 0 })
}

fn reencode(bytes: &[u8], format: ImageFormat, purpose: Purpose) -> AppResult<Prepared> {
    let (w, h) = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| AppError::unprocessable("The image could not be read"))?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(AppError::unprocessable("Images can be at most 40 megapixels"));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| AppError::unprocessable("The image could not be read"))?;
    let (max_w, max_h) = match purpose {
        Purpose::Attachment => (2560, 2560),
        Purpose::Avatar => (400, 400),
        Purpose::Header => (1500, 500),
    };
    let img = match purpose {
        Purpose::Attachment if img.width() > max_w || img.height() > max_h => {
            img.resize(max_w, max_h, image::imageops::FilterType::Triangle)
        }
        Purpose::Avatar | Purpose::Header if img.width() != max_w || img.height() != max_h => {
            img.resize_to_fill(max_w, max_h, image::imageops::FilterType::Triangle)
        }
        _ => img,
    };
    let (width, height) = img.dimensions();
    let mut out = std::io::Cursor::new(Vec::new());
    // Photographs stay JPEG; everything else becomes PNG (GIF animations keep their first frame).
    let (content_type, ext) = if format == ImageFormat::Jpeg {
        let rgb = img.to_rgb8();
        let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
        enc.encode_image(&rgb).map_err(AppError::internal)?;
        ("image/jpeg", "jpg")
    } else {
        img.write_to(&mut out, ImageFormat::Png).map_err(AppError::internal)?;
        ("image/png", "png")
    };
    Ok(Prepared { kind: "image", content_type, ext, bytes: out.into_inner(), width, height })
}

static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Largest image accepted, in pixels (40 megapixels).
const MAX_PIXELS: u64 = 40_000_000;

/// Checks, stores and records an upload owned by `account`.
pub async fn store_upload(
    state: &AppState,
    account: i64,
    upload: Upload,
    description: &str,
    purpose: Purpose,
) -> AppResult<media_attachments::Model> {
    if super::char_len(description) > 1500 {
        return Err(AppError::unprocessable("Description must be 1500 characters or fewer"));
    }
    let limits = state.settings.limits.clone();
    let original_name: String = upload
        .file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    // Decoding can take hundreds of megabytes: two at a time at most.
    let prepared = {
        let _permit = DECODING.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || prepare(&upload, purpose, &limits)).await.map_err(AppError::internal)??
    };
    let id = crate::ids::next_id();
    // The random part makes file URLs unguessable: only readers of the post learn them.
    let file_name = format!("{id}-{}.{}", hex::encode(rand::random::<[u8; 12]>()), prepared.ext);
    state.media.write(&file_name, &prepared.bytes).await?;
    let kind = if prepared.kind == "document" { "document" } else { purpose.kind() };
    let model = media_attachments::Model {
        id,
        account_id: account,
        status_id: None,
        kind: kind.to_owned(),
        content_type: prepared.content_type.to_owned(),
        file_name,
        original_name,
        file_size: prepared.bytes.len() as i64,
        width: prepared.width as i32,
        height: prepared.height as i32,
        description: description.trim().to_owned(),
        position: 0,
        created_at: chrono::Utc::now(),
    };
    let _w = state.db.write_lock().await;
    sq::insert_media(&state.db.conn, model.clone()).await?;
    Ok(model)
}

/// Deletes uploads that did not make it into a post (rows and files).
pub async fn discard(state: &AppState, ids: &[i64]) {
    let files = {
        let _w = state.db.write_lock().await;
        sq::delete_unattached_media(&state.db.conn, ids).await
    };
    match files {
        Ok(files) => {
            for f in files {
                state.media.remove(&f).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not discard unused uploads"),
    }
}

/// Removes a replaced avatar or header.
pub async fn remove_image(state: &AppState, id: i64) {
    let rows = match sq::media_by_ids(&state.db.conn, &[id]).await {
        Ok(r) => r,
        Err(_) => return,
    };
    for m in rows.into_iter().filter(|m| m.kind == "avatar" || m.kind == "header") {
        let _w = state.db.write_lock().await;
        if <media_attachments::Entity as sea_orm::EntityTrait>::delete_by_id(m.id).exec(&state.db.conn).await.is_ok() {
            drop(_w);
            state.media.remove(&m.file_name).await;
        }
    }
}

/// Updates the description (alt text) of one's own media.
pub async fn describe(
    state: &AppState,
    account: i64,
    id: i64,
    description: &str,
) -> AppResult<media_attachments::Model> {
    if super::char_len(description) > 1500 {
        return Err(AppError::unprocessable("Description must be 1500 characters or fewer"));
    }
    let mut m = sq::media_by_ids(&state.db.conn, &[id])
        .await?
        .into_iter()
        // Alt text of a published post changes only by editing the post (with history).
        .find(|m| m.account_id == account && m.status_id.is_none())
        .ok_or_else(AppError::not_found)?;
    let _w = state.db.write_lock().await;
    sq::update_media_description(&state.db.conn, id, description.trim()).await?;
    m.description = description.trim().to_owned();
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> crate::config::Limits {
        crate::config::Limits {
            max_status_chars: 500,
            max_media_attachments: 4,
            max_image_bytes: 1_000_000,
            max_document_bytes: 1_000_000,
            max_avatar_bytes: 1_000_000,
            max_body_bytes: 2_000_000,
        }
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([0, 0, 255]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn images_are_reencoded_and_avatars_cropped() {
        let up = Upload { bytes: png(800, 600), file_name: "a.png".into() };
        let p = prepare(&up, Purpose::Avatar, &limits()).unwrap();
        assert_eq!((p.width, p.height), (400, 400));
        assert_eq!(p.content_type, "image/png");
    }

    #[test]
    fn documents_are_recognised_by_content() {
        let pdf = Upload { bytes: b"%PDF-1.7 rest".to_vec(), file_name: "x.txt".into() };
        assert_eq!(prepare(&pdf, Purpose::Attachment, &limits()).unwrap().content_type, "application/pdf");
        let csv = Upload { bytes: b"a,b\n1,2\n".to_vec(), file_name: "d.csv".into() };
        assert_eq!(prepare(&csv, Purpose::Attachment, &limits()).unwrap().ext, "csv");
        let exe = Upload { bytes: b"MZ\x90\x00".to_vec(), file_name: "x.pdf".into() };
        assert!(prepare(&exe, Purpose::Attachment, &limits()).is_err());
        let fake_png = Upload { bytes: b"\x89PNG\r\n\x1a\nbroken".to_vec(), file_name: "x.png".into() };
        assert!(prepare(&fake_png, Purpose::Attachment, &limits()).is_err());
    }
}
