//! The one mapping from errors to HTTP: every error leaves as
//! `{"error": {"code", "message"}}` with the status of `spec/api.md`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use coproof_core::Refusal;
use coproof_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

/// The error envelope.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable code, e.g. `not_found`, `already_partners`.
    pub code: String,
    /// Human text; may change.
    pub message: String,
}

/// The HTTP status of each refusal.
pub fn status_of(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::InvalidInput(_)
        | Refusal::InvalidEmail
        | Refusal::InvalidPassword
        | Refusal::InvalidRole
        | Refusal::InvalidToken
        | Refusal::InvalidCode => StatusCode::BAD_REQUEST,
        Refusal::InvalidCredentials
        | Refusal::Unauthenticated
        | Refusal::TwoFactorRequired
        | Refusal::WrongSignInCode => StatusCode::UNAUTHORIZED,
        Refusal::Forbidden
        | Refusal::SignupDisabled
        | Refusal::EmailUnverified
        | Refusal::WrongPassword
        | Refusal::Csrf => StatusCode::FORBIDDEN,
        Refusal::NotFound => StatusCode::NOT_FOUND,
        Refusal::OwnAccount => StatusCode::UNPROCESSABLE_ENTITY,
        Refusal::EmailTaken
        | Refusal::AlreadyPartners
        | Refusal::AlreadyInvited
        | Refusal::RejectedInvitation
        | Refusal::IncomingRequestPending
        | Refusal::InvalidState
        | Refusal::LastAdmin
        | Refusal::ContactExists
        | Refusal::SyncedContact
        | Refusal::NotPartner
        | Refusal::TwoFactorOn => StatusCode::CONFLICT,
        Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Refusal::PayloadTooLarge | Refusal::QuotaExceeded => StatusCode::PAYLOAD_TOO_LARGE,
        Refusal::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    pub fn invalid_input(message: impl Into<String>) -> ApiError {
        Refusal::InvalidInput(message.into()).into()
    }

    fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on the server; it has been logged.",
        )
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        ApiError {
            status: status_of(&refusal),
            code: refusal.code(),
            message: refusal.message(),
            retry_after_secs: match refusal {
                Refusal::RateLimited { retry_after_secs } | Refusal::Busy { retry_after_secs } => {
                    Some(retry_after_secs)
                }
                _ => None,
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Refused(refusal) => refusal.into(),
            other if other.is_pool_timeout() => {
                tracing::warn!("database pool timed out");
                ApiError {
                    retry_after_secs: Some(1),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "The server is busy; try again shortly.",
                    )
                }
            }
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal()
            }
        }
    }
}

impl From<crate::password::HashError> for ApiError {
    fn from(error: crate::password::HashError) -> ApiError {
        match error {
            crate::password::HashError::Busy => Refusal::Busy {
                retry_after_secs: 1,
            }
            .into(),
            crate::password::HashError::Failed(error) => error.into(),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> ApiError {
        tracing::error!(error = %format!("{error:#}"), "internal error");
        ApiError::internal()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
