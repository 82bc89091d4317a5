//! Slack: the Web API client, and the two ways Slack reaches Herald (HTTP requests
//! signed with the signing secret, or Socket Mode). Both transports hand events to the
//! same handler in [`events`].

mod client;
pub mod events;
pub mod http;
pub mod replay;
pub mod socket;

pub use client::{
    BotIdentity, ChannelInfo, Connector, GroupInfo, METADATA_EVENT, Page, SlackApi, SlackError,
    UserInfo, UserNames, UserProfile, api_token, https_connector,
};
