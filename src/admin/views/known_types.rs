//! The meeting types a workspace's platform has sent, offered in the rule modal.

use serde_json::Value;

/// A meeting type the platform has sent: its id and, when given, its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMeetingType {
    pub id: String,
    pub name: Option<String>,
}

/// The distinct meeting types in event bodies (newest first), at most Slack's 100
/// options minus the "any" one.
pub fn known_meeting_types(bodies: &[String]) -> Vec<KnownMeetingType> {
    let mut known: Vec<KnownMeetingType> = Vec::new();
    for body in bodies {
        let Ok(value) = serde_json::from_str::<Value>(body) else {
            continue;
        };
        let Some(id) = value["meeting_type"]["id"].as_str().map(str::trim) else {
            continue;
        };
        if id.is_empty() || known.iter().any(|k| k.id == id) {
            continue;
        }
        known.push(KnownMeetingType {
            id: id.to_string(),
            name: value["meeting_type"]["name"].as_str().map(str::to_string),
        });
        if known.len() == 99 {
            break;
        }
    }
    known
}
