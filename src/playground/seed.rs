//! The workspace a newcomer finds in the playground: channels and people they recognise,
//! the rules a team would start with, and the events of the Platform panel.
//!
//! The emulator numbers its ids in creation order, so seeding in the same order gives the
//! same ids on every run, and rules stored by an earlier run still name the right channels.

use emulator::slack::{ChannelSpec, SlackEmulator};
use serde_json::{Value, json};

/// The playground's workspace.
pub const TEAM: &str = "T0PLAYGRND";
/// Another company's workspace, whose Slack Connect channel is shared into ours.
const PARTNER: &str = "T0PARTNER1";

/// Who and what was seeded.
#[derive(Clone, Debug)]
pub struct World {
    pub team_id: String,
    pub bot_token: String,
    pub bot_user_id: String,
    pub admin: String,
    /// The two members, linked to the platform's operators `op_aiko` and `op_sam`.
    pub members: Vec<String>,
    pub host_email: String,
    pub support_group: String,
    pub bookings: String,
    pub support: String,
    pub alerts: String,
}

/// Seeds the local Slack: `#bookings`, `#support`, `#alerts` (Herald in each), a private
/// channel Herald is not in, an archived one and a Slack Connect channel of another
/// company; an admin (English), two members (one Japanese), a meeting host with an
/// email, and the `@support` user group.
pub fn workspace(slack: &SlackEmulator) -> World {
    let ws = slack.add_workspace(TEAM, "Acme (playground)");
    let admin = person(slack, "alex", "Alex Admin", "en-US");
    slack.set_user_role(&admin, true, false);
    let aiko = person(slack, "aiko", "田中 愛子", "ja-JP");
    let sam = person(slack, "sam", "Sam Member", "en-US");
    let host_email = "hana@acme.example".to_string();
    let host = person(slack, "hana", "Hana Host", "en-US");
    let support_group = slack.add_usergroup(TEAM, "support", &[&aiko, &sam]);
    let channel = |name: &str, private: bool, archived: bool, bot_member: bool| {
        slack.add_channel(
            TEAM,
            ChannelSpec {
                name: name.into(),
                private,
                archived,
                bot_member,
                shared_from_team: None,
            },
        )
    };
    let bookings = channel("bookings", false, false, true);
    let support = channel("support", false, false, true);
    let alerts = channel("alerts", false, false, true);
    let leadership = channel("leadership", true, false, false);
    let archived = channel("old-campaign", false, true, true);
    let partner = slack.add_channel(
        TEAM,
        ChannelSpec {
            name: "ext-partner-co".into(),
            bot_member: true,
            shared_from_team: Some(PARTNER.into()),
            ..ChannelSpec::default()
        },
    );
    for user in [&admin, &aiko, &sam, &host] {
        for c in [&bookings, &support, &alerts] {
            slack.add_member(c, user);
        }
        slack.add_member(&archived, user);
        slack.add_member(&partner, user);
    }
    slack.add_member(&leadership, &admin);
    World {
        team_id: TEAM.into(),
        bot_token: ws.bot_token,
        bot_user_id: ws.bot_user_id,
        admin,
        members: vec![aiko, sam],
        host_email,
        support_group,
        bookings,
        support,
        alerts,
    }
}

fn person(slack: &SlackEmulator, handle: &str, real_name: &str, locale: &str) -> String {
    let id = slack.add_user(TEAM, handle, &format!("{handle}@acme.example"));
    slack.update_user(&id, Some(real_name), None, None);
    slack.set_user_locale(&id, locale);
    id
}

/// The sample rules: bookings to `#bookings` (mentioning `@support`; the host is
/// mentioned by Herald itself), every chat to `#support`, and every error category to
/// `#alerts`, mentioning the admin.
pub fn rules(world: &World) -> Value {
    json!([
        {"kind": "event", "event_type": "booking.created", "meeting_type": null,
         "channel": world.bookings, "mentions": [world.support_group]},
        {"kind": "event", "event_type": "booking.cancelled", "meeting_type": null,
         "channel": world.bookings, "mentions": []},
        {"kind": "event", "event_type": "conversation.message.created", "meeting_type": null,
         "channel": world.support, "mentions": []},
        {"kind": "error",
         "categories": ["salesforce", "calendar", "external_api", "internal", "delivery", "mapping"],
         "channel": world.alerts, "mentions": [world.admin]},
    ])
}

/// The Platform panel's examples, one per kind of event (the shapes of `docs/events.md`),
/// named for its menu. The first is the booking delivered at start.
pub fn samples(world: &World) -> Vec<(&'static str, Value)> {
    vec![
        (
            "booking.created",
            json!({
                "type": "booking.created",
                "occurred_at": now_rfc3339(),
                "meeting_type": {"id": "mt_intro", "name": "Intro call"},
                "host": {"email": world.host_email},
                "customer": {"name": "Taro Yamada", "company": "Yamada Trading", "email": "taro@yamada.example"},
                "title": "Intro call booked",
                "url": "https://platform.example/bookings/42",
                "fields": {"Budget": "¥1,000,000", "Seats": 3}
            }),
        ),
        (
            "booking.cancelled",
            json!({
                "type": "booking.cancelled",
                "occurred_at": now_rfc3339(),
                "meeting_type": {"id": "mt_intro", "name": "Intro call"},
                "host": {"email": world.host_email},
                "customer": {"name": "Taro Yamada"},
                "url": "https://platform.example/bookings/42"
            }),
        ),
        (
            "conversation.message.created",
            json!({
                "type": "conversation.message.created",
                "occurred_at": now_rfc3339(),
                "conversation": {"id": "chat_42", "state": "open", "page": "https://acme.example/pricing",
                                 "assignee": {"id": "op_aiko", "email": "aiko@acme.example", "name": "田中 愛子"}},
                "message": {"id": format!("m_{:08x}", fastrand::u32(..)), "text": "Hello, how much is the Pro plan?",
                            "author": {"kind": "customer", "name": "Taro Yamada"}},
                "customer": {"name": "Taro Yamada", "company": "Yamada Trading"},
                "url": "https://platform.example/conversations/chat_42"
            }),
        ),
        (
            "conversation.closed",
            json!({
                "type": "conversation.closed",
                "occurred_at": now_rfc3339(),
                "conversation": {"id": "chat_42", "state": "closed"}
            }),
        ),
        (
            "error.salesforce",
            json!({
                "type": "error.salesforce",
                "occurred_at": now_rfc3339(),
                "title": "Could not create the Salesforce opportunity",
                "fields": {"status": 503, "object": "Opportunity", "retrying": false}
            }),
        ),
    ]
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "2026-12-01T00:00:00Z".into())
}
