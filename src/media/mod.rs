//! Media files on local disk under `data_dir/media` (S3-compatible storage comes later behind
//! the same functions).
use std::path::PathBuf;

/// Where uploaded files live.
pub struct MediaStore {
    root: PathBuf,
}

impl MediaStore {
    pub fn new(root: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    /// A file name we made ourselves: digits, a dash, hex, one dot, a short extension.
    pub fn valid_name(name: &str) -> bool {
        name.len() <= 80
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && name.matches('.').count() == 1
            && !name.starts_with('.')
    }

    /// Writes durably: to a temporary name, synced, then renamed into place.
    pub async fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let tmp = self.root.join(format!("{name}.tmp"));
        let dest = self.root.join(name);
        let bytes = bytes.to_vec();
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &dest)
        })
        .await
        .map_err(std::io::Error::other)?
    }

    pub async fn read(&self, name: &str) -> std::io::Result<Vec<u8>> {
        if !Self::valid_name(name) {
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, "bad name"));
        }
        tokio::fs::read(self.root.join(name)).await
    }

    pub async fn remove(&self, name: &str) {
        if Self::valid_name(name)
            && let Err(e) = tokio::fs::remove_file(self.root.join(name)).await
        {
            tracing::warn!(file = name, error = %e, "could not remove media file");
        }
    }
}
