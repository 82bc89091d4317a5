//! Herald → platform: signed callbacks to the connection's callback URL, and the address
//! policy that keeps them off addresses the admin did not mean.

pub mod address;
pub mod client;

pub use client::{
    CALLBACK_KEY_LABEL, PlatformClient, PlatformError, UrlError, callback_key, check_callback_url,
    checked_url,
};
