//! What happened to the workspace's events, for its admins: one event explained rule by
//! rule and job by job (`/herald why`), and the event types no rule takes (App Home's
//! onboarding list). Reads only; the words are in `admin::views`.

pub mod unrouted;
pub mod why;
