//! Slack: the Web API client, and the two ways Slack reaches Herald (HTTP requests
//! signed with the signing secret, or Socket Mode). Both transports hand what they
//! receive to one [`SlackHandler`]; this module names no feature.

pub mod api;
pub mod connect;
pub mod handler;
pub mod http;
pub mod pace;
pub mod socket;

pub use api::{
    BotIdentity, ChannelInfo, Connector, FileFacts, GroupInfo, METADATA_EVENT, OAuthGrant, Page,
    SlackApi, SlackError, SlackErrorCode, SlackTrouble, TokenRefusal, UserInfo, UserNames,
    UserProfile, api_token,
};
pub use handler::{EventAck, FirstUse, SlackHandler};
