//! Federation errors: the library's errors mapped to the right HTTP status (a bad signature is
//! 401, not 500), with the cause logged.
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, ErrorKind};

#[derive(Debug)]
pub struct FedError(pub AppError);

pub type FedResult<T> = Result<T, FedError>;

impl std::fmt::Display for FedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for FedError {}

impl FedError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(AppError::new(kind, message))
    }
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }
}

impl From<activitypub_federation::error::Error> for FedError {
    fn from(e: activitypub_federation::error::Error) -> Self {
        use activitypub_federation::error::Error as E;
        let (kind, message) = match &e {
            E::ActivitySignatureInvalid => (ErrorKind::Unauthorized, "The HTTP signature is not valid".to_owned()),
            // The normalisation crate's refusals (expired, missing or unparsable signature
            // parts, required headers not signed) come through as `Other`.
            E::Other(m) if m.contains("Http Signature") || m.contains("Missing required headers") => {
                (ErrorKind::Unauthorized, format!("The HTTP signature is not acceptable: {m}"))
            }
            E::ActivityBodyDigestInvalid => {
                (ErrorKind::Unauthorized, "The Digest header does not match the body".to_owned())
            }
            E::NotFound => (ErrorKind::NotFound, "Not found".to_owned()),
            E::ObjectDeleted(_) => (ErrorKind::NotFound, "The object was deleted".to_owned()),
            E::ParseReceivedActivity { .. } => {
                (ErrorKind::BadRequest, format!("Unsupported or malformed activity: {e}"))
            }
            E::UrlVerificationError(m) if m.contains("blocked") => (ErrorKind::Forbidden, format!("Refused: {m}")),
            E::UrlVerificationError(m) => (ErrorKind::BadRequest, format!("URL refused: {m}")),
            E::DomainResolveError(_) | E::ResolveInternalIpError(..) => {
                (ErrorKind::BadRequest, "URL refused: it points to a private address".to_owned())
            }
            E::RequestLimit | E::ResponseBodyLimit => (ErrorKind::BadRequest, format!("{e}")),
            E::WebfingerResolveFailed(_) => (ErrorKind::NotFound, "That account could not be found".to_owned()),
            _ => (ErrorKind::BadRequest, format!("Federation error: {e}")),
        };
        tracing::info!(error = %e, "federation request refused");
        Self(AppError::new(kind, message))
    }
}

impl From<AppError> for FedError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<sea_orm::DbErr> for FedError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self(e.into())
    }
}

impl From<anyhow::Error> for FedError {
    fn from(e: anyhow::Error) -> Self {
        Self(AppError::internal(e))
    }
}

impl From<url::ParseError> for FedError {
    fn from(e: url::ParseError) -> Self {
        Self::bad(format!("Invalid URL: {e}"))
    }
}

impl From<serde_json::Error> for FedError {
    fn from(e: serde_json::Error) -> Self {
        Self(AppError::internal(e))
    }
}

impl IntoResponse for FedError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}
