//! The secret SMS codes are hashed under ([`CodeKey`]): configured, or
//! generated once and kept where every instance of this deployment finds
//! the same one.

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
};

use chrono::Utc;
use entity::server_secrets;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, sea_query::OnConflict};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::domain::{CodePurpose, Phone};

/// The secret codes are hashed under: a 6-digit code's plain hash is reversed
/// by trying all million codes, an HMAC without the key is not.
pub struct CodeKey(Vec<u8>);

impl CodeKey {
    /// A fresh random key.
    pub fn random() -> Self {
        Self(random_key().to_vec())
    }

    /// A key from secret bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    fn mac(&self, phone: &Phone, purpose: CodePurpose, code: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(phone.as_str().as_bytes());
        mac.update(purpose.hash_tag());
        mac.update(code.as_bytes());
        mac
    }

    /// The stored form of `code` sent to `phone` for `purpose`.
    pub fn hash(&self, phone: &Phone, purpose: CodePurpose, code: &str) -> String {
        hex::encode(self.mac(phone, purpose, code).finalize().into_bytes())
    }

    /// Whether `code` is the one stored as `stored` (compared in constant time).
    pub fn matches(&self, phone: &Phone, purpose: CodePurpose, code: &str, stored: &str) -> bool {
        hex::decode(stored)
            .is_ok_and(|stored| self.mac(phone, purpose, code).verify_slice(&stored).is_ok())
    }
}

/// 32 bytes from the operating system's cryptographic RNG: every generated
/// key of the server.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("the OS random source works");
    key
}

/// The name of the code key in `server_secrets`.
const CODE_KEY_NAME: &str = "sms_code_key";
/// The shortest configured secret accepted.
pub const MIN_SECRET_CHARS: usize = 32;

/// Why no key could be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The configured secret is too short to be a key.
    #[error("--sms-code-secret must have at least {MIN_SECRET_CHARS} characters")]
    TooShort,
    /// The key file could not be read or written.
    #[error("SMS code key file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The key file may be read by other users (as ssh refuses such a key).
    #[error(
        "SMS code key file {path} may be read by other users (mode {mode:03o}); it must be \
         readable by its owner only: chmod 600 {path}"
    )]
    Exposed {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Where the key file would be is unknown: the database URL is unreadable.
    #[error("{0}")]
    Location(String),
    /// The key file holds something else.
    #[error("SMS code key file {0} does not hold 64 hex characters")]
    Malformed(PathBuf),
    /// The database failed.
    #[error("SMS code key in the database: {0}")]
    Database(#[from] DbErr),
}

/// The key: the configured secret; else a file beside a SQLite database
/// (`<file>.secret`, mode 0600, created on first start); else a row in
/// `server_secrets`, created once and shared by every instance.
pub async fn load_code_key(
    configured: Option<&str>,
    database_url: &str,
    db: &DatabaseConnection,
) -> Result<CodeKey, SecretError> {
    if let Some(secret) = configured {
        if secret.chars().count() < MIN_SECRET_CHARS {
            return Err(SecretError::TooShort);
        }
        return Ok(CodeKey::from_bytes(secret.as_bytes().to_vec()));
    }
    match crate::database::sqlite_file(database_url).map_err(SecretError::Location)? {
        Some(database_file) => {
            key_from_file(&crate::database::with_suffix(&database_file, ".secret"))
        }
        None => key_from_database(db).await,
    }
}

fn key_from_file(path: &Path) -> Result<CodeKey, SecretError> {
    let file_error = |source| SecretError::File {
        path: path.to_owned(),
        source,
    };
    match read_private(path) {
        Ok(text) => hex::decode(text.trim())
            .ok()
            .filter(|bytes| bytes.len() == 32)
            .map(CodeKey::from_bytes)
            .ok_or_else(|| SecretError::Malformed(path.to_owned())),
        Err(ReadError::Exposed(mode)) => Err(SecretError::Exposed {
            path: path.to_owned(),
            mode,
        }),
        Err(ReadError::Io(err)) if err.kind() == io::ErrorKind::NotFound => {
            let key = random_key();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(path) {
                Ok(mut file) => {
                    file.write_all(hex::encode(key).as_bytes())
                        .map_err(file_error)?;
                    tracing::info!(path = %path.display(), "generated the SMS code key");
                    Ok(CodeKey::from_bytes(key.to_vec()))
                }
                // Another process created it first: use theirs.
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => key_from_file(path),
                Err(err) => Err(file_error(err)),
            }
        }
        Err(ReadError::Io(err)) => Err(file_error(err)),
    }
}

enum ReadError {
    Io(io::Error),
    /// The file's permission bits let others read it.
    Exposed(u32),
}

/// The text of `path`, unless its group or others may read or write it
/// (checked on the opened file, so a swap after the check cannot pass).
fn read_private(path: &Path) -> Result<String, ReadError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(ReadError::Io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(ReadError::Io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(ReadError::Exposed(mode));
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(ReadError::Io)?;
    Ok(text)
}

async fn key_from_database(db: &DatabaseConnection) -> Result<CodeKey, SecretError> {
    let key = random_key();
    let candidate = server_secrets::ActiveModel {
        name: Set(CODE_KEY_NAME.to_owned()),
        value: Set(hex::encode(key)),
        created_at: Set(Utc::now()),
    };
    // The first instance's key wins; everyone reads back the same one.
    server_secrets::Entity::insert(candidate)
        .on_conflict(
            OnConflict::column(server_secrets::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    let stored = server_secrets::Entity::find_by_id(CODE_KEY_NAME.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(CODE_KEY_NAME.to_owned()))?;
    hex::decode(&stored.value)
        .map(CodeKey::from_bytes)
        .map_err(|_| SecretError::Database(DbErr::Custom("malformed stored key".to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.secret");
        let first = key_from_file(&path).unwrap();
        let second = key_from_file(&path).unwrap();
        let phone = Phone::parse("13126939916").unwrap();
        let purpose = CodePurpose::SignUp;
        assert_eq!(
            first.hash(&phone, purpose, "123456"),
            second.hash(&phone, purpose, "123456")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_stored_hash_depends_on_key_phone_purpose_and_code() {
        let key = CodeKey::random();
        let phone = Phone::parse("13126939916").unwrap();
        let other = Phone::parse("13126939917").unwrap();
        let hash = key.hash(&phone, CodePurpose::SignUp, "123456");
        assert_eq!(hash, key.hash(&phone, CodePurpose::SignUp, "123456"));
        assert_ne!(hash, key.hash(&phone, CodePurpose::PasswordReset, "123456"));
        assert_ne!(hash, key.hash(&other, CodePurpose::SignUp, "123456"));
        assert_ne!(hash, key.hash(&phone, CodePurpose::SignUp, "123457"));
        assert_ne!(
            hash,
            CodeKey::random().hash(&phone, CodePurpose::SignUp, "123456")
        );
        assert!(!hash.contains("123456"));
    }

    #[test]
    fn a_code_matches_only_its_own_hash() {
        let key = CodeKey::random();
        let phone = Phone::parse("13126939916").unwrap();
        let reset = CodePurpose::PasswordReset;
        let stored = key.hash(&phone, reset, "123456");
        assert!(key.matches(&phone, reset, "123456", &stored));
        assert!(!key.matches(&phone, reset, "123457", &stored));
        assert!(!key.matches(&phone, CodePurpose::SignUp, "123456", &stored));
        assert!(!key.matches(&phone, reset, "123456", "not hex"));
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.secret");
        key_from_file(&path).unwrap();
        std::fs::write(&path, "not hex").unwrap();
        assert!(matches!(
            key_from_file(&path),
            Err(SecretError::Malformed(_))
        ));
    }
}
