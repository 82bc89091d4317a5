use super::*;

fn values(json: Value) -> Values {
    serde_json::from_value(json).unwrap()
}

fn submission(users: &[&str]) -> Value {
    json!({
        "event_type": {"event_type": {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "面談予約"}, "value": "booking.created"}}},
        "meeting_type": {"meeting_type": {"type": "plain_text_input", "value": " mt_1 "}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": "C0GENERAL"}},
        "mentions": {"mentions": {"type": "multi_users_select", "selected_users": users}},
        "enabled": {"enabled": {"type": "checkboxes", "selected_options": [{"text": {"type": "plain_text", "text": "有効"}, "value": "on"}]}}
    })
}

#[test]
fn a_complete_submission_reads_as_a_rule() {
    let rule = read_rule(&values(submission(&["U0AAA111", "U0BBB222"])), Lang::Ja).unwrap();
    assert_eq!(
        rule.trigger,
        RuleTrigger::Event {
            event_type: EventType::BookingCreated,
            meeting_type: Some("mt_1".into())
        }
    );
    assert_eq!(rule.channel.as_str(), "C0GENERAL");
    assert_eq!(rule.mentions.ids(), ["U0AAA111", "U0BBB222"]);
    assert!(rule.enabled);
}

#[test]
fn known_meeting_types_are_offered_and_a_typed_id_wins() {
    let bodies: Vec<String> = [
        json!({"meeting_type": {"id": "mt_2", "name": "Demo"}}),
        json!({"meeting_type": {"id": "mt_1"}}),
        json!({"meeting_type": {"id": "mt_2", "name": "Demo"}}),
        json!({"type": "error.calendar"}),
    ]
    .iter()
    .map(Value::to_string)
    .chain(["not json".to_string()])
    .collect();
    let known = known_meeting_types(&bodies);
    let ids: Vec<&str> = known.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, ["mt_2", "mt_1"]);
    let view = add_rule(Lang::En, &known);
    let options = &view["blocks"][1]["element"]["options"];
    assert_eq!(options[0]["value"], "*");
    assert_eq!(options[1]["text"]["text"], "Demo (mt_2)");

    let mut picked = submission(&[]);
    picked["meeting_type"]["meeting_type"]["value"] = Value::Null;
    picked["known_meeting_type"] = json!({"known_meeting_type": {"type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": "Demo (mt_2)"}, "value": "mt_2"}}});
    let rule = read_rule(&values(picked.clone()), Lang::En).unwrap();
    assert!(
        matches!(rule.trigger, RuleTrigger::Event { meeting_type: Some(ref m), .. } if m == "mt_2")
    );
    picked["known_meeting_type"]["known_meeting_type"]["selected_option"]["value"] = json!("*");
    let rule = read_rule(&values(picked), Lang::En).unwrap();
    assert!(matches!(
        rule.trigger,
        RuleTrigger::Event {
            meeting_type: None,
            ..
        }
    ));
    let rule = read_rule(&values(submission(&[])), Lang::En).unwrap();
    assert!(
        matches!(rule.trigger, RuleTrigger::Event { meeting_type: Some(ref m), .. } if m == "mt_1")
    );
}

#[test]
fn problems_come_back_as_inline_errors_on_their_blocks() {
    let errors =
        read_rule(&values(submission(&["U01", "U02", "U03", "U04"])), Lang::En).unwrap_err();
    assert_eq!(
        errors,
        vec![(MENTIONS, "Mention at most 3 people.".to_string())]
    );
    let errors = read_rule(&values(json!({})), Lang::En).unwrap_err();
    let blocks: Vec<&str> = errors.iter().map(|(b, _)| *b).collect();
    assert_eq!(blocks, [EVENT_TYPE, CHANNEL]);
}

#[test]
fn the_modal_respects_slacks_limits_in_both_languages() {
    for lang in [Lang::Ja, Lang::En] {
        let view = add_rule(lang, &[]);
        for key in ["title", "submit", "close"] {
            assert!(
                view[key]["text"].as_str().unwrap().chars().count() <= 24,
                "{key}"
            );
        }
        for option in view["blocks"][0]["element"]["options"].as_array().unwrap() {
            assert!(option["text"]["text"].as_str().unwrap().chars().count() <= 75);
        }
        let parsed: slack_morphism::prelude::SlackView =
            serde_json::from_value(view).expect("a modal slack-morphism understands");
        assert!(matches!(
            parsed,
            slack_morphism::prelude::SlackView::Modal(_)
        ));
    }
}
