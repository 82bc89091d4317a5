//! What happened to the workspace's events, for its admins: one event explained rule by
//! rule and job by job (`/herald why`), the event types no rule takes (App Home's
//! onboarding list), the deliveries that failed (App Home's Resend), and each rule's
//! own health. The words are in `admin::views`.

pub mod failed;
pub mod health;
pub mod unrouted;
pub mod why;
