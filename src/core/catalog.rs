//! The event catalog: every event type the platform may send, with its ja/en label.
//!
//! The type names are the public webhook contract (DESIGN.md); the labels are the seed's
//! terms. Conversation events (a chat inbox's messages and state) thread per conversation.

use std::fmt;
use std::str::FromStr;

/// Language of the texts Herald shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// Picks the text for this language.
    pub fn pick(self, ja: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

impl FromStr for Lang {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "ja" => Ok(Lang::Ja),
            "en" => Ok(Lang::En),
            _ => Err(()),
        }
    }
}

/// The error categories of error rules. `Delivery` (failures to post) and `Mapping`
/// (a value that does not fit its rule's template) are Herald's own reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCategory {
    Salesforce,
    Calendar,
    ExternalApi,
    Internal,
    Delivery,
    Mapping,
}

impl ErrorCategory {
    pub const ALL: [ErrorCategory; 6] = [
        ErrorCategory::Salesforce,
        ErrorCategory::Calendar,
        ErrorCategory::ExternalApi,
        ErrorCategory::Internal,
        ErrorCategory::Delivery,
        ErrorCategory::Mapping,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCategory::Salesforce => "salesforce",
            ErrorCategory::Calendar => "calendar",
            ErrorCategory::ExternalApi => "external_api",
            ErrorCategory::Internal => "internal",
            ErrorCategory::Delivery => "delivery",
            ErrorCategory::Mapping => "mapping",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ErrorCategory::Salesforce => lang.pick("Salesforce連携エラー", "Salesforce error"),
            ErrorCategory::Calendar => lang.pick("カレンダー連携エラー", "Calendar error"),
            ErrorCategory::ExternalApi => lang.pick("外部API通信エラー", "External API error"),
            ErrorCategory::Internal => lang.pick("システム内部エラー", "Internal error"),
            ErrorCategory::Delivery => lang.pick("Slack通知の配信エラー", "Slack delivery failure"),
            ErrorCategory::Mapping => lang.pick("項目マッピングのエラー", "Field mapping problem"),
        }
    }
}

impl FromStr for ErrorCategory {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|c| c.as_str() == s).ok_or(())
    }
}

/// Every event type of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    BookingCreated,
    BookingFailed,
    PhoneRequested,
    SurveyPreMeetingAnswered,
    SurveyExitAnswered,
    BookingNoPreferredTime,
    ResearchCompleted,
    BookingNoCandidates,
    FollowupEmailSent,
    BookingCancelled,
    Error(ErrorCategory),
    Conversation(ConversationKind),
}

/// What happened in a chat conversation (HubSpot's inbox, KARTE Talk, Re:lation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConversationKind {
    MessageCreated,
    MessageUpdated,
    MessageDeleted,
    Assigned,
    Closed,
    Reopened,
    /// Up to the last 100 messages, oldest first, when a conversation is first linked.
    History,
}

impl ConversationKind {
    pub const ALL: [ConversationKind; 7] = [
        ConversationKind::MessageCreated,
        ConversationKind::MessageUpdated,
        ConversationKind::MessageDeleted,
        ConversationKind::Assigned,
        ConversationKind::Closed,
        ConversationKind::Reopened,
        ConversationKind::History,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::MessageCreated => "conversation.message.created",
            ConversationKind::MessageUpdated => "conversation.message.updated",
            ConversationKind::MessageDeleted => "conversation.message.deleted",
            ConversationKind::Assigned => "conversation.assigned",
            ConversationKind::Closed => "conversation.closed",
            ConversationKind::Reopened => "conversation.reopened",
            ConversationKind::History => "conversation.history",
        }
    }

    /// Whether the event carries one `message` (created, updated, deleted).
    pub fn has_message(self) -> bool {
        matches!(
            self,
            ConversationKind::MessageCreated
                | ConversationKind::MessageUpdated
                | ConversationKind::MessageDeleted
        )
    }
}

/// Why a type name is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsupportedType {
    /// Not in the contract at all.
    Unknown,
}

/// The conversation events of the contract, by name.
pub const CONVERSATION_TYPES: [&str; 7] = [
    "conversation.message.created",
    "conversation.message.updated",
    "conversation.message.deleted",
    "conversation.assigned",
    "conversation.closed",
    "conversation.reopened",
    "conversation.history",
];

impl Lang {
    /// `ja-JP` → ja, `en-US` → en; other Slack locales have no Herald language.
    pub fn from_locale(locale: &str) -> Option<Lang> {
        match locale.split(['-', '_']).next()? {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

impl EventType {
    /// The ten meeting events of the seed, in its order.
    pub const MEETING: [EventType; 10] = [
        EventType::BookingCreated,
        EventType::BookingFailed,
        EventType::PhoneRequested,
        EventType::SurveyPreMeetingAnswered,
        EventType::SurveyExitAnswered,
        EventType::BookingNoPreferredTime,
        EventType::ResearchCompleted,
        EventType::BookingNoCandidates,
        EventType::FollowupEmailSent,
        EventType::BookingCancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::BookingCreated => "booking.created",
            EventType::BookingFailed => "booking.failed",
            EventType::PhoneRequested => "phone.requested",
            EventType::SurveyPreMeetingAnswered => "survey.pre_meeting.answered",
            EventType::SurveyExitAnswered => "survey.exit.answered",
            EventType::BookingNoPreferredTime => "booking.no_preferred_time",
            EventType::ResearchCompleted => "research.completed",
            EventType::BookingNoCandidates => "booking.no_candidates",
            EventType::FollowupEmailSent => "followup_email.sent",
            EventType::BookingCancelled => "booking.cancelled",
            EventType::Error(ErrorCategory::Salesforce) => "error.salesforce",
            EventType::Error(ErrorCategory::Calendar) => "error.calendar",
            EventType::Error(ErrorCategory::ExternalApi) => "error.external_api",
            EventType::Error(ErrorCategory::Internal) => "error.internal",
            EventType::Error(ErrorCategory::Delivery) => "error.delivery",
            EventType::Error(ErrorCategory::Mapping) => "error.mapping",
            EventType::Conversation(kind) => kind.as_str(),
        }
    }

    /// The types a rule can name, in the order the rule modal offers them. A rule for
    /// chat messages follows the whole conversation (assignment, closing, history).
    pub const RULE_TYPES: [EventType; 11] = [
        EventType::BookingCreated,
        EventType::BookingFailed,
        EventType::PhoneRequested,
        EventType::SurveyPreMeetingAnswered,
        EventType::SurveyExitAnswered,
        EventType::BookingNoPreferredTime,
        EventType::ResearchCompleted,
        EventType::BookingNoCandidates,
        EventType::FollowupEmailSent,
        EventType::BookingCancelled,
        EventType::Conversation(ConversationKind::MessageCreated),
    ];

    pub fn conversation(self) -> Option<ConversationKind> {
        match self {
            EventType::Conversation(kind) => Some(kind),
            _ => None,
        }
    }

    /// Whether an event of this type is routed by a rule naming `rule_type`: its own
    /// type, or any conversation event for a chat-message rule.
    pub fn routed_by(self, rule_type: EventType) -> bool {
        self == rule_type
            || (self.conversation().is_some()
                && rule_type == EventType::Conversation(ConversationKind::MessageCreated))
    }

    /// Parses a type name from the contract.
    pub fn parse(name: &str) -> Result<Self, UnsupportedType> {
        if let Some(kind) = ConversationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
        {
            return Ok(EventType::Conversation(kind));
        }
        if let Some(category) = name.strip_prefix("error.") {
            return category
                .parse()
                .map(EventType::Error)
                .map_err(|()| UnsupportedType::Unknown);
        }
        Self::MEETING
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or(UnsupportedType::Unknown)
    }

    /// Only Herald itself raises `error.delivery` and `error.mapping`; a platform
    /// sending them would forge Herald's own reports.
    pub fn platform_may_send(self) -> bool {
        !matches!(
            self,
            EventType::Error(ErrorCategory::Delivery | ErrorCategory::Mapping)
        )
    }

    pub fn error_category(self) -> Option<ErrorCategory> {
        match self {
            EventType::Error(c) => Some(c),
            _ => None,
        }
    }

    /// The seed: a booking also notifies the meeting's host. A cancellation concerns the
    /// host just as much, so it mentions them too.
    pub fn mentions_host(self) -> bool {
        matches!(
            self,
            EventType::BookingCreated | EventType::BookingCancelled
        )
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            EventType::BookingCreated => lang.pick("面談予約", "Meeting booked"),
            EventType::BookingFailed => lang.pick("面談予約エラー", "Booking failed"),
            EventType::PhoneRequested => lang.pick("電話リクエスト", "Phone call requested"),
            EventType::SurveyPreMeetingAnswered => {
                lang.pick("面談前アンケート", "Pre-meeting survey answered")
            }
            EventType::SurveyExitAnswered => lang.pick("離脱前アンケート", "Exit survey answered"),
            EventType::BookingNoPreferredTime => {
                lang.pick("希望する時間がない", "No preferred time")
            }
            EventType::ResearchCompleted => lang.pick("自動リサーチ", "Automatic research"),
            EventType::BookingNoCandidates => {
                lang.pick("面談候補日程が見つからない", "No candidate slots found")
            }
            EventType::FollowupEmailSent => {
                lang.pick("フォローアップメール", "Follow-up email sent")
            }
            EventType::BookingCancelled => lang.pick("キャンセル", "Meeting cancelled"),
            EventType::Error(category) => category.label(lang),
            EventType::Conversation(kind) => match kind {
                ConversationKind::MessageCreated => lang.pick("チャット", "Chat message"),
                ConversationKind::MessageUpdated => {
                    lang.pick("チャットの編集", "Chat message edited")
                }
                ConversationKind::MessageDeleted => {
                    lang.pick("チャットの削除", "Chat message deleted")
                }
                ConversationKind::Assigned => lang.pick("担当者の割り当て", "Chat assigned"),
                ConversationKind::Closed => lang.pick("チャットの終了", "Chat closed"),
                ConversationKind::Reopened => lang.pick("チャットの再開", "Chat reopened"),
                ConversationKind::History => lang.pick("チャットの履歴", "Chat history"),
            },
        }
    }

    /// A one-line explanation shown under the header.
    pub fn description(self, lang: Lang) -> &'static str {
        match self {
            EventType::BookingCreated => lang.pick(
                "顧客が面談予約を完了しました",
                "A customer completed a booking",
            ),
            EventType::BookingFailed => lang.pick(
                "面談予約処理でエラーが発生しました",
                "The booking process failed",
            ),
            EventType::PhoneRequested => lang.pick(
                "顧客が電話リクエストを送信しました",
                "A customer asked for a phone call",
            ),
            EventType::SurveyPreMeetingAnswered => lang.pick(
                "顧客が面談前アンケートに回答しました",
                "A customer answered the pre-meeting survey",
            ),
            EventType::SurveyExitAnswered => lang.pick(
                "顧客が離脱前アンケートに回答しました",
                "A customer answered the exit survey",
            ),
            EventType::BookingNoPreferredTime => lang.pick(
                "顧客が「希望する時間がない」を選択しました",
                "A customer chose \"none of these times\"",
            ),
            EventType::ResearchCompleted => {
                lang.pick("自動リサーチが実行されました", "Automatic research ran")
            }
            EventType::BookingNoCandidates => lang.pick(
                "面談候補日程が見つかりませんでした",
                "No candidate slots were found",
            ),
            EventType::FollowupEmailSent => lang.pick(
                "自動フォローアップメールが送信されました",
                "An automatic follow-up email was sent",
            ),
            EventType::BookingCancelled => lang.pick(
                "顧客または担当者が面談をキャンセルしました",
                "The customer or the host cancelled the meeting",
            ),
            EventType::Error(ErrorCategory::Delivery) => lang.pick(
                "HeraldがSlackへの通知を配信できませんでした",
                "Herald could not deliver a notification to Slack",
            ),
            EventType::Error(ErrorCategory::Mapping) => lang.pick(
                "通知の項目がルールのテンプレートの型に合いませんでした",
                "A notification's field did not fit its rule's template",
            ),
            EventType::Error(_) => lang.pick(
                "プラットフォームでエラーが発生しました",
                "The platform reported an error",
            ),
            EventType::Conversation(kind) => match kind {
                ConversationKind::MessageCreated => {
                    lang.pick("顧客からチャットが届きました", "A customer wrote in a chat")
                }
                ConversationKind::MessageUpdated => lang.pick(
                    "チャットのメッセージが編集されました",
                    "A chat message was edited",
                ),
                ConversationKind::MessageDeleted => lang.pick(
                    "チャットのメッセージが削除されました",
                    "A chat message was deleted",
                ),
                ConversationKind::Assigned => {
                    lang.pick("チャットの担当者が決まりました", "The chat was assigned")
                }
                ConversationKind::Closed => {
                    lang.pick("チャットが終了しました", "The chat was closed")
                }
                ConversationKind::Reopened => {
                    lang.pick("チャットが再開されました", "The chat was reopened")
                }
                ConversationKind::History => {
                    lang.pick("これまでのチャットの履歴です", "The chat so far")
                }
            },
        }
    }

    pub fn emoji(self) -> &'static str {
        match self {
            EventType::BookingCreated => ":calendar:",
            EventType::BookingFailed | EventType::BookingNoCandidates => ":warning:",
            EventType::PhoneRequested => ":telephone_receiver:",
            EventType::SurveyPreMeetingAnswered | EventType::SurveyExitAnswered => ":memo:",
            EventType::BookingNoPreferredTime => ":hourglass:",
            EventType::ResearchCompleted => ":mag:",
            EventType::FollowupEmailSent => ":email:",
            EventType::BookingCancelled => ":x:",
            EventType::Error(_) => ":rotating_light:",
            EventType::Conversation(ConversationKind::Closed) => ":lock:",
            EventType::Conversation(ConversationKind::Assigned) => ":bust_in_silhouette:",
            EventType::Conversation(_) => ":speech_balloon:",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_name() {
        let all = EventType::MEETING
            .into_iter()
            .chain(ErrorCategory::ALL.into_iter().map(EventType::Error));
        for t in all {
            assert_eq!(EventType::parse(t.as_str()), Ok(t));
            assert!(!t.label(Lang::Ja).is_empty() && !t.label(Lang::En).is_empty());
            assert_ne!(t.label(Lang::Ja), t.label(Lang::En));
        }
    }

    #[test]
    fn conversation_types_parse_and_others_are_unknown() {
        for t in CONVERSATION_TYPES {
            let parsed = EventType::parse(t).unwrap();
            assert_eq!(parsed.as_str(), t);
            assert!(parsed.routed_by(EventType::Conversation(ConversationKind::MessageCreated)));
            assert!(!parsed.routed_by(EventType::BookingCreated));
        }
        for t in ["booking", "error.", "error.unknown", "Booking.Created", ""] {
            assert_eq!(EventType::parse(t), Err(UnsupportedType::Unknown), "{t}");
        }
    }

    #[test]
    fn only_herald_raises_delivery_errors() {
        assert!(!EventType::Error(ErrorCategory::Delivery).platform_may_send());
        assert!(!EventType::Error(ErrorCategory::Mapping).platform_may_send());
        assert!(EventType::Error(ErrorCategory::Internal).platform_may_send());
    }
}
