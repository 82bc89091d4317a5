//! What a Slack call can end in, reduced to what callers decide on: rate limited (wait),
//! Slack's error code (classify), or transport trouble (retry).
//!
//! Slack's codes arrive as strings; [`SlackErrorCode`] reads the ones Herald decides on
//! into an enum, so a decision is a `match` the compiler checks rather than a comparison
//! with a literal that a typo turns into "never".

use std::time::Duration;

use slack_morphism::errors::SlackClientError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackError {
    /// Slack asked Herald to wait before calling `method` again (an HTTP 429 with
    /// `Retry-After`, or a `ratelimited` answer without it).
    #[error("rate limited by Slack on {method}")]
    RateLimited {
        method: &'static str,
        retry_after: Option<Duration>,
    },
    #[error("Slack answered {code}")]
    Api { code: String },
    #[error("Slack could not be reached: {0}")]
    Transport(String),
    #[error("Slack's answer could not be read: {0}")]
    Protocol(String),
}

impl SlackError {
    /// Slack's error code, typed; None when Slack gave no answer to read one from.
    pub fn code(&self) -> Option<SlackErrorCode> {
        match self {
            SlackError::Api { code } => Some(SlackErrorCode::parse(code)),
            _ => None,
        }
    }

    /// Whether Slack answered with this code.
    pub fn is(&self, code: &SlackErrorCode) -> bool {
        matches!(self, SlackError::Api { code: c } if c == code.as_str())
    }
}

impl SlackError {
    /// slack-morphism's error of a call of `method`. A rate limit is one error however
    /// Slack said it, so whoever waits on it knows the method it waits for.
    pub(super) fn from_client(err: SlackClientError, method: &'static str) -> Self {
        match err {
            SlackClientError::ApiError(e) if e.code == SlackErrorCode::Ratelimited.as_str() => {
                SlackError::RateLimited {
                    method,
                    retry_after: None,
                }
            }
            SlackClientError::ApiError(e) => SlackError::Api { code: e.code },
            SlackClientError::RateLimitError(e) => SlackError::RateLimited {
                method,
                retry_after: e.retry_after,
            },
            SlackClientError::HttpError(e) => {
                SlackError::Transport(format!("HTTP {}", e.status_code.as_u16()))
            }
            SlackClientError::ProtocolError(e) => SlackError::Protocol(e.to_string()),
            other => SlackError::Transport(other.to_string()),
        }
    }
}

/// A unit enum read from and written as Slack's snake_case codes, one table per enum so
/// the two directions cannot disagree.
macro_rules! codes {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

codes! {
    /// Slack no longer takes the token: nothing sent with it can work until Herald is
    /// installed again.
    TokenRefusal {
        InvalidAuth = "invalid_auth",
        TokenRevoked = "token_revoked",
        AccountInactive = "account_inactive",
        NotAuthed = "not_authed",
        TokenExpired = "token_expired",
    }
}

codes! {
    /// Slack's own trouble: the same call may well work a little later.
    SlackTrouble {
        InternalError = "internal_error",
        FatalError = "fatal_error",
        ServiceUnavailable = "service_unavailable",
        RequestTimeout = "request_timeout",
    }
}

/// [`SlackErrorCode`]: its one-situation codes from a table, plus the groups and the
/// fallback, so reading and writing a code come from the same lines.
macro_rules! error_codes {
    ($($(#[$vdoc:meta])* $variant:ident = $code:literal,)+) => {
        /// Slack's error code (`"ok": false, "error": …`), typed where Herald decides on it.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum SlackErrorCode {
            $($(#[$vdoc])* $variant,)+
            TokenRefused(TokenRefusal),
            Trouble(SlackTrouble),
            /// Any other code, kept as Slack wrote it.
            Other(String),
        }

        impl SlackErrorCode {
            /// Every code named by a variant of its own.
            pub const PLAIN: &[SlackErrorCode] = &[$(SlackErrorCode::$variant,)+];

            pub fn parse(code: &str) -> Self {
                if let Some(refusal) = TokenRefusal::from_code(code) {
                    return Self::TokenRefused(refusal);
                }
                if let Some(trouble) = SlackTrouble::from_code(code) {
                    return Self::Trouble(trouble);
                }
                match code {
                    $($code => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                }
            }

            /// The code as Slack writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $code,)+
                    Self::TokenRefused(refusal) => refusal.as_str(),
                    Self::Trouble(trouble) => trouble.as_str(),
                    Self::Other(code) => code,
                }
            }
        }
    };
}

error_codes! {
    /// A public channel Herald has not joined (it may join and post again).
    NotInChannel = "not_in_channel",
    /// A private channel Herald was not invited to.
    NotInvited = "not_invited",
    ChannelNotFound = "channel_not_found",
    IsArchived = "is_archived",
    /// `conversations.join` on a channel that cannot be joined (a private one).
    MethodNotSupportedForChannelType = "method_not_supported_for_channel_type",
    MessageNotFound = "message_not_found",
    /// `conversations.replies`: no message with that ts in the channel.
    ThreadNotFound = "thread_not_found",
    /// `files.info`: no such file, or it was deleted.
    FileNotFound = "file_not_found",
    FileDeleted = "file_deleted",
    AlreadyReacted = "already_reacted",
    /// `users.info`: no such user.
    UserNotFound = "user_not_found",
    /// `users.lookupByEmail`: nobody with that email.
    UsersNotFound = "users_not_found",
    MissingScope = "missing_scope",
    /// Rate limited inside a 200 answer; the client reads it as [`SlackError::RateLimited`]
    /// like an HTTP 429, so callers wait on it the same way.
    Ratelimited = "ratelimited",
}

impl SlackErrorCode {
    /// Slack no longer takes the workspace's token: Herald must be installed again.
    pub fn is_token_refused(&self) -> bool {
        matches!(self, Self::TokenRefused(_))
    }
}

impl std::fmt::Display for SlackErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_reads_back_as_slack_writes_it() {
        let known = SlackErrorCode::PLAIN
            .iter()
            .map(SlackErrorCode::as_str)
            .chain(TokenRefusal::ALL.iter().map(|c| c.as_str()))
            .chain(SlackTrouble::ALL.iter().map(|c| c.as_str()));
        for code in known {
            let typed = SlackErrorCode::parse(code);
            assert!(
                !matches!(typed, SlackErrorCode::Other(_)),
                "{code} is known"
            );
            assert_eq!(typed.as_str(), code);
        }
        assert_eq!(
            SlackErrorCode::parse("invalid_blocks"),
            SlackErrorCode::Other("invalid_blocks".into())
        );
        assert_eq!(
            SlackErrorCode::parse("invalid_blocks").as_str(),
            "invalid_blocks"
        );
    }

    #[test]
    fn an_api_error_reads_as_its_typed_code() {
        let cases = [
            ("not_in_channel", SlackErrorCode::NotInChannel, false),
            (
                "token_revoked",
                SlackErrorCode::TokenRefused(TokenRefusal::TokenRevoked),
                true,
            ),
            (
                "account_inactive",
                SlackErrorCode::TokenRefused(TokenRefusal::AccountInactive),
                true,
            ),
            (
                "fatal_error",
                SlackErrorCode::Trouble(SlackTrouble::FatalError),
                false,
            ),
            (
                "no_such_code",
                SlackErrorCode::Other("no_such_code".into()),
                false,
            ),
        ];
        for (raw, want, refused) in cases {
            let err = SlackError::Api { code: raw.into() };
            assert_eq!(err.code(), Some(want.clone()), "{raw}");
            assert!(err.is(&want), "{raw}");
            assert_eq!(want.is_token_refused(), refused, "{raw}");
        }
        assert_eq!(SlackError::Transport("down".into()).code(), None);
        assert!(!SlackError::Transport("down".into()).is(&SlackErrorCode::NotInChannel));
    }
}
