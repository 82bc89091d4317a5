//! Herald → platform: signed callbacks to the connection's callback URL, the downloads of
//! files a platform message carries, and the address policy that keeps both off
//! addresses nobody meant.

pub mod address;
pub mod client;
pub mod download;

pub use client::{
    CALLBACK_KEY_LABEL, PlatformClient, PlatformError, UrlError, callback_key, check_callback_url,
    checked_url,
};
pub use download::{DownloadError, Downloaded};
