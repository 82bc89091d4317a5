//! `/herald list [#channel]` and `/herald export`: the rules, as a list (each with its
//! own last delivery) or as the JSON file `herald rules import` takes.

use std::collections::HashMap;

use serde_json::json;
use slack_morphism::prelude::*;

use crate::admin::reply::MAX_BLOCKS;
use crate::admin::reply::MAX_SECTION;
use crate::admin::reply::ephemeral;
use crate::admin::reply::section;
use crate::admin::views::home::health_text;
use crate::admin::views::texts;
use crate::core::catalog::Lang;
use crate::core::ids::ChannelId;
use crate::core::rule::{Rule, RuleTrigger};
use crate::history::health::{RuleHealth, of_rules};

/// The rules, event rules grouped by meeting type, then error rules.
pub(crate) fn render(
    lang: Lang,
    rules: &[&Rule],
    health: &HashMap<String, RuleHealth>,
    channel: Option<&ChannelId>,
) -> SlackCommandEventResponse {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": texts::list_title(lang)}
    })];
    if rules.is_empty() {
        let text = texts::no_rules(lang, channel.map(ChannelId::as_str));
        blocks.push(section(&text));
        return ephemeral(text, blocks);
    }
    let mut groups: Vec<(Option<String>, Vec<String>)> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for rule in rules {
        let line = format!(
            "{}\n      {}",
            texts::rule_line(lang, rule),
            health_text(lang, rule, health)
        );
        match &rule.trigger {
            RuleTrigger::Event { meeting_type, .. } => {
                match groups.iter_mut().find(|(m, _)| m == meeting_type) {
                    Some((_, lines)) => lines.push(line),
                    None => groups.push((meeting_type.clone(), vec![line])),
                }
            }
            RuleTrigger::Error { .. } => errors.push(line),
        }
    }
    // "Every meeting type" first, then the types in the order the rules name them.
    groups.sort_by_key(|(m, _)| m.is_some());
    let mut sections: Vec<(String, Vec<String>)> = groups
        .into_iter()
        .map(|(m, lines)| (texts::meeting_heading(lang, m.as_deref()), lines))
        .collect();
    if !errors.is_empty() {
        sections.push((texts::errors_heading(lang).to_string(), errors));
    }
    let mut omitted = 0;
    for (heading, lines) in sections {
        let mut text = format!("*{heading}*");
        for line in lines {
            if blocks.len() >= MAX_BLOCKS - 2 {
                omitted += 1;
                continue;
            }
            if text.chars().count() + line.chars().count() + 1 > MAX_SECTION {
                blocks.push(section(&text));
                text = String::new();
            }
            text.push('\n');
            text.push_str(&line);
        }
        if !text.is_empty() && blocks.len() < MAX_BLOCKS - 1 {
            blocks.push(section(&text));
        }
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": texts::list_footer(lang, rules.len(), omitted)}]
    }));
    ephemeral(texts::list_title(lang).into(), blocks)
}

pub(crate) async fn rules(
    cx: &crate::admin::AdminCtx,
    actor: &crate::admin::actor::Actor,
    channel: Option<&ChannelId>,
) -> SlackCommandEventResponse {
    match cx.store.rules(actor.team_id()).await {
        Ok(rules) => {
            let shown: Vec<&Rule> = rules
                .iter()
                .filter(|r| channel.is_none_or(|c| &r.channel == c))
                .collect();
            let health = match of_rules(&cx.store, actor.team_id(), &shown).await {
                Ok(health) => health,
                Err(err) => return crate::admin::reply::failure(actor.lang(), &err),
            };
            render(actor.lang(), &shown, &health, channel)
        }
        Err(err) => crate::admin::reply::failure(actor.lang(), &err),
    }
}

pub(crate) async fn export(
    cx: &crate::admin::AdminCtx,
    actor: &crate::admin::actor::Actor,
) -> SlackCommandEventResponse {
    let lang = actor.lang();
    match crate::admin::rules_file::export(&cx.store, actor.team_id()).await {
        Ok(json) => crate::admin::reply::ephemeral(
            format!("{}\n```\n{json}\n```", texts::export_intro(lang)),
            vec![],
        ),
        Err(err) => crate::admin::reply::failure(lang, &err),
    }
}
