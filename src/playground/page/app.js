// Herald's playground: a small Slack client for the local Slack of `herald try`.
// It reads what the local Slack holds (GET /try/api/state) and sends what a person does
// (POST /try/api/…); the server turns each into the signed request Slack would send.
"use strict";

const $ = (id) => document.getElementById(id);
const ui = {
  user: localStorage.getItem("herald-try-user") || "",
  channel: localStorage.getItem("herald-try-channel") || "",
  thread: null, // ts of the open thread
  pane: null, // "home" | "platform" | null
  state: null,
  rendered: {}, // what each region last showed, so polling redraws only what changed
  modalKey: null,
  busy: 0, // requests under way (the browser test waits for none)
  refreshes: 0, // states read so far
  samples: [], // the Platform panel's examples, read once
};

async function api(path, body) {
  ui.busy += 1;
  try {
    return await request(path, body);
  } finally {
    ui.busy -= 1;
  }
}

async function request(path, body) {
  const init = body === undefined ? {} : {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, init);
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `HTTP ${response.status}`);
  return answer;
}

// ---- names and mrkdwn -------------------------------------------------------------------

function person(id) {
  const p = (ui.state?.people || []).find((u) => u.id === id);
  if (!p) return id;
  return p.real_name || p.profile?.real_name || p.profile?.display_name || p.name;
}

function group(id) {
  const g = (ui.state?.groups || []).find((x) => x.id === id);
  return g ? g.handle : id;
}

function channelName(id) {
  const c = (ui.state?.channels || []).find((x) => x.id === id);
  return c ? c.name : id;
}

// The emoji Herald's messages use, by Slack's shortcodes; others stay as :name:.
const EMOJI = {
  arrows_counterclockwise: "🔄", bust_in_silhouette: "👤", calendar: "📅", email: "📧", eyes: "👀",
  hourglass: "⌛", hourglass_flowing_sand: "⏳", large_green_circle: "🟢", leftwards_arrow_with_hook: "↩️",
  link: "🔗", lock: "🔒", mag: "🔍", memo: "📝", no_entry_sign: "🚫", outbox_tray: "📤",
  palm_tree: "🌴", raised_hand: "✋", red_circle: "🔴", rotating_light: "🚨", scroll: "📜",
  speech_balloon: "💬", telephone_receiver: "📞", unlock: "🔓", warning: "⚠️", wave: "👋",
  white_check_mark: "✅", white_circle: "⚪", x: "❌",
};

function emoji(s) {
  return s.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] || all);
}

function escapeHtml(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Slack's mrkdwn (https://api.slack.com/reference/surfaces/formatting): escapes, then
// <@U…>, <#C…|name>, <!subteam^S…|@handle>, <!here>, <url|text>, *bold*, _italic_,
// ~strike~, `code`, ```blocks``` and > quotes.
function mrkdwn(text) {
  // Slack sends &amp; &lt; &gt; escaped; undo that, then escape for HTML once.
  const raw = String(text ?? "").replace(/&lt;/g, "\u0001").replace(/&gt;/g, "\u0002").replace(/&amp;/g, "&");
  const blocks = [];
  let s = raw.replace(/```([\s\S]*?)```/g, (_, code) => {
    blocks.push(code);
    return `\u0003${blocks.length - 1}\u0003`;
  });
  s = escapeHtml(s);
  s = s.replace(/&lt;([^&]*?(?:&amp;[^&]*?)*)&gt;/g, (_, inner) => link(inner.replace(/&amp;/g, "&")));
  s = s.replace(/`([^`\n]+)`/g, "<code>$1</code>");
  s = s.replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<strong>$2</strong>");
  s = s.replace(/(^|[\s(])_([^_\n]+)_/g, "$1<em>$2</em>");
  s = s.replace(/(^|[\s(])~([^~\n]+)~/g, "$1<del>$2</del>");
  s = s.replace(/^&gt; ?(.*)$/gm, "<blockquote>$1</blockquote>");
  s = emoji(s).replace(/\n/g, "<br>");
  s = s.replace(/\u0001/g, "&lt;").replace(/\u0002/g, "&gt;");
  return s.replace(/\u0003(\d+)\u0003/g, (_, i) => `<pre>${escapeHtml(blocks[Number(i)])}</pre>`);
}

function link(inner) {
  const [target, label] = inner.split("|");
  if (target.startsWith("@")) return `<span class="mention">@${escapeHtml(person(target.slice(1)))}</span>`;
  if (target.startsWith("#")) return `<span class="mention">#${escapeHtml(label || channelName(target.slice(1)))}</span>`;
  if (target.startsWith("!date^")) return escapeHtml(slackDate(target, label));
  if (target.startsWith("!subteam^")) return `<span class="mention">${escapeHtml(label || "@" + group(target.slice(9)))}</span>`;
  if (target.startsWith("!")) return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
  if (/^(https?|mailto):/.test(target)) return `<a href="${escapeHtml(target)}" target="_blank" rel="noopener">${escapeHtml(label || target)}</a>`;
  return escapeHtml(`<${inner}>`);
}

// <!date^SECONDS^FORMAT|fallback>, as Slack renders it in the reader's time zone
// (https://api.slack.com/reference/surfaces/formatting#date-formatting).
function slackDate(target, fallback) {
  const [, secs, format] = target.split("^");
  const when = new Date(Number(secs) * 1000);
  if (!format || Number.isNaN(when.getTime())) return fallback || target;
  const pad = (n) => String(n).padStart(2, "0");
  const tokens = {
    date_num: `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}`,
    date: when.toLocaleDateString([], { month: "long", day: "numeric", year: "numeric" }),
    date_short: when.toLocaleDateString([], { month: "short", day: "numeric", year: "numeric" }),
    date_long: when.toLocaleDateString([], { weekday: "long", month: "long", day: "numeric", year: "numeric" }),
    time: when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
    time_secs: when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }),
  };
  const today = new Date();
  const sameDay = when.toDateString() === today.toDateString();
  for (const kind of ["date", "date_short", "date_long"]) tokens[`${kind}_pretty`] = sameDay ? "Today" : tokens[kind];
  const minutes = Math.round((today - when) / 60000);
  tokens.ago = minutes < 1 ? "just now" : minutes < 60 ? `${minutes} minutes ago` : `${Math.round(minutes / 60)} hours ago`;
  return format.replace(/\{(\w+)\}/g, (all, name) => tokens[name] ?? all);
}

function textObject(t) {
  if (!t) return "";
  return t.type === "mrkdwn" ? mrkdwn(t.text) : emoji(escapeHtml(t.text));
}

// ---- Block Kit ---------------------------------------------------------------------------

// Renders blocks; `where` says what an interactive element belongs to (a message, a view).
function renderBlocks(blocks, where) {
  const out = document.createElement("div");
  for (const b of blocks || []) {
    const el = renderBlock(b, where);
    if (el) out.appendChild(el);
  }
  return out;
}

function div(cls, html) {
  const d = document.createElement("div");
  if (cls) d.className = cls;
  if (html !== undefined) d.innerHTML = html;
  return d;
}

function renderBlock(b, where) {
  switch (b.type) {
    case "header": return div("blk-header", textObject(b.text));
    case "divider": { const hr = document.createElement("hr"); hr.className = "blk-divider"; return hr; }
    case "section": {
      const d = div("blk-section");
      const body = div("");
      if (b.text) body.appendChild(div("", textObject(b.text)));
      if (b.fields) {
        const f = div("blk-fields");
        for (const field of b.fields) f.appendChild(div("", textObject(field)));
        body.appendChild(f);
      }
      d.appendChild(body);
      if (b.accessory) d.appendChild(element(b.accessory, b, where));
      return d;
    }
    case "context": {
      const d = div("blk-context");
      for (const e of b.elements || []) {
        if (e.type === "image") {
          const img = document.createElement("img");
          img.alt = e.alt_text || "";
          img.src = e.image_url;
          d.appendChild(img);
        } else d.appendChild(div("", textObject(e)));
      }
      return d;
    }
    case "image": {
      const d = div("blk-image");
      if (b.title) d.appendChild(div("", textObject(b.title)));
      const img = document.createElement("img");
      img.alt = b.alt_text || "";
      img.src = b.image_url;
      d.appendChild(img);
      return d;
    }
    case "actions": {
      const d = div("blk-actions");
      for (const e of b.elements || []) d.appendChild(element(e, b, where));
      return d;
    }
    case "input": return inputBlock(b, where);
    case "rich_text": return div("", mrkdwn(richText(b)));
    default: return div("muted", `[${escapeHtml(b.type)} block]`);
  }
}

function richText(b) {
  const parts = [];
  const walk = (el) => {
    if (el.type === "text") parts.push(el.text);
    else if (el.type === "user") parts.push(`<@${el.user_id}>`);
    else if (el.type === "link") parts.push(el.url);
    for (const c of el.elements || []) walk(c);
  };
  walk(b);
  return parts.join("");
}

// An interactive element outside an input block: buttons, selects and overflow menus
// send block_actions at once, as in Slack.
function element(e, block, where) {
  if (e.type === "button") {
    const button = document.createElement("button");
    button.type = "button";
    button.innerHTML = textObject(e.text);
    if (e.style) button.className = e.style;
    button.dataset.actionId = e.action_id || "";
    button.addEventListener("click", () => {
      if (e.url) window.open(e.url, "_blank", "noopener");
      act(where, { type: "button", action_id: e.action_id, block_id: block.block_id, value: e.value, text: e.text });
    });
    return button;
  }
  if (e.type === "static_select" || e.type === "overflow") {
    const select = document.createElement("select");
    select.innerHTML = `<option value="">${escapeHtml(e.placeholder?.text || "…")}</option>` +
      allOptions(e).map((o, i) => `<option value="${i}">${escapeHtml(o.text.text)}</option>`).join("");
    select.addEventListener("change", () => {
      const option = allOptions(e)[Number(select.value)];
      if (!option) return;
      act(where, { type: e.type, action_id: e.action_id, block_id: block.block_id, selected_option: option });
    });
    return select;
  }
  if (e.type === "image") {
    const img = document.createElement("img");
    img.src = e.image_url; img.alt = e.alt_text || ""; img.width = 48;
    return img;
  }
  return div("muted", `[${escapeHtml(e.type)}]`);
}

function allOptions(e) {
  if (e.option_groups) return e.option_groups.flatMap((g) => g.options);
  return e.options || [];
}

async function act(where, action) {
  try {
    // Slack sends a view's state, as the person left it, with every action in the view.
    const values = where.view_id ? { values: modalValues() } : {};
    await api("/try/api/action", { user: ui.user, ...where, ...values, action });
  } catch (err) {
    note(err.message);
  }
  refresh();
}

// ---- modals ------------------------------------------------------------------------------

// Each input element keeps what the person entered; `read()` gives Slack's state value.
const inputs = new Map(); // "block_id/action_id" -> {block_id, action_id, read}

function inputBlock(b, where) {
  const d = div("blk-input");
  d.dataset.blockId = b.block_id;
  const label = document.createElement("label");
  label.innerHTML = textObject(b.label) + (b.optional ? ' <span class="muted">(optional)</span>' : "");
  d.appendChild(label);
  const e = b.element || {};
  const key = `${b.block_id}/${e.action_id}`;
  const control = inputElement(e, b, where);
  inputs.set(key, { block_id: b.block_id, action_id: e.action_id, read: control.read });
  d.appendChild(control.node);
  if (b.hint) d.appendChild(div("hint", textObject(b.hint)));
  d.appendChild(div("error block-error"));
  return d;
}

function inputElement(e, b, where) {
  const changed = () => {
    if (b.dispatch_action) act(where, { ...current(e, b), block_id: b.block_id });
  };
  switch (e.type) {
    case "plain_text_input": {
      const node = document.createElement(e.multiline ? "textarea" : "input");
      if (!e.multiline) node.type = "text";
      node.value = e.initial_value || "";
      node.placeholder = e.placeholder?.text || "";
      node.addEventListener("change", changed);
      return { node, read: () => ({ type: e.type, value: node.value === "" ? null : node.value }) };
    }
    case "static_select": {
      const node = document.createElement("select");
      const options = allOptions(e);
      node.innerHTML = `<option value="">${escapeHtml(e.placeholder?.text || "Select an option")}</option>` +
        options.map((o, i) => `<option value="${i}">${escapeHtml(o.text.text)}</option>`).join("");
      const initial = options.findIndex((o) => o.value === e.initial_option?.value);
      if (initial >= 0) node.value = String(initial);
      node.addEventListener("change", changed);
      return { node, read: () => ({ type: e.type, selected_option: options[Number(node.value)] ?? null }) };
    }
    case "multi_static_select": {
      const node = document.createElement("select");
      node.multiple = true;
      const options = allOptions(e);
      node.innerHTML = options.map((o, i) => `<option value="${i}">${escapeHtml(o.text.text)}</option>`).join("");
      const chosen = new Set((e.initial_options || []).map((o) => o.value));
      [...node.options].forEach((opt, i) => { opt.selected = chosen.has(options[i].value); });
      node.addEventListener("change", changed);
      return { node, read: () => ({ type: e.type, selected_options: [...node.selectedOptions].map((o) => options[Number(o.value)]) }) };
    }
    case "external_select":
    case "multi_external_select":
      return externalSelect(e, b, changed);
    case "radio_buttons":
    case "checkboxes": {
      const node = div("choices");
      const name = `${b.block_id}-${e.action_id}`;
      const kind = e.type === "radio_buttons" ? "radio" : "checkbox";
      const initial = new Set([e.initial_option, ...(e.initial_options || [])].filter(Boolean).map((o) => o.value));
      (e.options || []).forEach((o, i) => {
        const l = document.createElement("label");
        l.innerHTML = `<input type="${kind}" name="${escapeHtml(name)}" value="${i}"${initial.has(o.value) ? " checked" : ""}> ${textObject(o.text)}`;
        l.querySelector("input").addEventListener("change", changed);
        node.appendChild(l);
      });
      const picked = () => [...node.querySelectorAll("input:checked")].map((i) => e.options[Number(i.value)]);
      return {
        node,
        read: () => kind === "radio"
          ? { type: e.type, selected_option: picked()[0] ?? null }
          : { type: e.type, selected_options: picked() },
      };
    }
    case "timepicker":
    case "datepicker": {
      const node = document.createElement("input");
      node.type = e.type === "timepicker" ? "time" : "date";
      node.value = e.initial_time || e.initial_date || "";
      node.addEventListener("change", changed);
      const field = e.type === "timepicker" ? "selected_time" : "selected_date";
      return { node, read: () => ({ type: e.type, [field]: node.value || null }) };
    }
    case "users_select":
    case "multi_users_select":
    case "conversations_select":
    case "multi_conversations_select":
    case "channels_select":
    case "multi_channels_select":
      return slackSelect(e, changed);
    default: {
      const node = div("muted", `[${escapeHtml(e.type)} is not shown in the playground]`);
      return { node, read: () => ({ type: e.type }) };
    }
  }
}

// Selects Slack fills itself, from the workspace's people or conversations, with Slack's
// state fields (selected_user(s), selected_conversation(s), selected_channel(s)).
function slackSelect(e, changed) {
  const multi = e.type.startsWith("multi_");
  const kind = e.type.replace("multi_", "").replace("_select", ""); // users | conversations | channels
  const items = kind === "users"
    ? ui.state.people.filter((p) => !p.deleted).map((p) => ({ id: p.id, label: person(p.id) }))
    : ui.state.channels.filter((c) => kind === "conversations" || !c.is_im)
      .map((c) => ({ id: c.id, label: c.is_im ? "Herald (DM)" : `#${c.name}` }));
  const node = document.createElement("select");
  node.multiple = multi;
  node.innerHTML = (multi ? "" : `<option value="">${escapeHtml(e.placeholder?.text || "Select")}</option>`) +
    items.map((i) => `<option value="${escapeHtml(i.id)}">${escapeHtml(i.label)}</option>`).join("");
  const singular = { users: "user", conversations: "conversation", channels: "channel" }[kind];
  const initial = new Set([e[`initial_${singular}`], ...(e[`initial_${kind}`] || [])].filter(Boolean));
  for (const o of node.options) o.selected = initial.has(o.value);
  node.addEventListener("change", changed);
  return {
    node,
    read: () => multi
      ? { type: e.type, [`selected_${kind}`]: [...node.selectedOptions].map((o) => o.value) }
      : { type: e.type, [`selected_${singular}`]: node.value || null },
  };
}

function current(e, b) {
  const entry = inputs.get(`${b.block_id}/${e.action_id}`);
  return { action_id: e.action_id, ...(entry ? entry.read() : { type: e.type }) };
}

// An external select asks Herald's options load URL (through the local Slack) as the
// person types, once min_query_length characters are in.
function externalSelect(e, b, changed) {
  const multi = e.type === "multi_external_select";
  const node = div("ext");
  const chips = div("chips");
  const box = document.createElement("input");
  box.type = "text";
  box.placeholder = e.placeholder?.text || "Type to search";
  box.setAttribute("role", "combobox");
  box.dataset.actionId = e.action_id;
  const menu = div("ext-menu");
  menu.hidden = true;
  let chosen = multi ? [...(e.initial_options || [])] : (e.initial_option ? [e.initial_option] : []);
  const drawChips = () => {
    chips.innerHTML = "";
    chosen.forEach((o, i) => {
      const chip = div("chip", escapeHtml(o.text.text));
      if (multi) {
        const x = document.createElement("button");
        x.type = "button"; x.textContent = "✕"; x.setAttribute("aria-label", "Remove");
        x.addEventListener("click", () => { chosen.splice(i, 1); drawChips(); changed(); });
        chip.appendChild(x);
      }
      chips.appendChild(chip);
    });
  };
  drawChips();
  let asked = 0;
  box.addEventListener("input", async () => {
    const mine = ++asked;
    const view = ui.state?.modal;
    if (!view) return;
    const answer = await api("/try/api/options", {
      user: ui.user, view_id: view.id, block_id: b.block_id, action_id: e.action_id, value: box.value,
    }).catch((err) => ({ error: err.message }));
    if (mine !== asked) return;
    menu.innerHTML = "";
    const groups = answer.option_groups || [{ options: answer.options || [] }];
    for (const g of groups) {
      if (g.label) menu.appendChild(div("group", textObject(g.label)));
      for (const o of g.options || []) {
        const item = div("", escapeHtml(o.text.text));
        item.setAttribute("role", "option");
        item.addEventListener("mousedown", (ev) => {
          ev.preventDefault();
          chosen = multi ? [...chosen.filter((c) => c.value !== o.value), o] : [o];
          box.value = "";
          menu.hidden = true;
          drawChips();
          changed();
        });
        menu.appendChild(item);
      }
    }
    if (!menu.children.length) {
      menu.appendChild(div("group", escapeHtml(answer.waiting_for ? `Type at least ${answer.waiting_for} characters` : "No results")));
    }
    menu.hidden = false;
  });
  // With min_query_length 0, Slack asks for options as soon as the menu opens.
  if (e.min_query_length === 0) box.addEventListener("focus", () => box.dispatchEvent(new Event("input")));
  box.addEventListener("blur", () => { menu.hidden = true; });
  node.append(chips, box, menu);
  return {
    node,
    read: () => multi
      ? { type: e.type, selected_options: chosen }
      : { type: e.type, selected_option: chosen[0] ?? null },
  };
}

function modalValues() {
  const values = {};
  for (const { block_id, action_id, read } of inputs.values()) {
    values[block_id] = values[block_id] || {};
    values[block_id][action_id] = read();
  }
  return values;
}

function drawModal(view, errors) {
  const backdrop = $("modal-backdrop");
  if (!view) {
    backdrop.hidden = true;
    ui.modalKey = null;
    inputs.clear();
    return;
  }
  // Redraw only when Slack's view changed (its hash), so typing is not lost to a poll.
  const key = `${view.id}:${view.hash}`;
  if (ui.modalKey !== key) {
    ui.modalKey = key;
    inputs.clear();
    $("modal-title").innerHTML = textObject(view.title);
    $("modal-submit").hidden = !view.submit;
    $("modal-submit").innerHTML = textObject(view.submit) || "Submit";
    $("modal-cancel").innerHTML = textObject(view.close) || "Cancel";
    const blocks = $("modal-blocks");
    blocks.innerHTML = "";
    blocks.appendChild(renderBlocks(view.blocks, { view_id: view.id }));
    $("modal-error").textContent = "";
    backdrop.hidden = false;
  }
  for (const d of document.querySelectorAll("#modal-blocks .blk-input")) {
    const message = errors?.[d.dataset.blockId] || "";
    d.classList.toggle("has-error", Boolean(message));
    d.querySelector(".block-error").textContent = message;
  }
}

async function submitModal() {
  const view = ui.state?.modal;
  if (!view) return;
  try {
    const answer = await api("/try/api/submit", { user: ui.user, view_id: view.id, values: modalValues() });
    if (answer.outcome === "error") {
      $("modal-error").textContent = "We had some trouble connecting. Try again?";
    }
  } catch (err) {
    $("modal-error").textContent = err.message;
  }
  refresh();
}

async function closeModal() {
  const view = ui.state?.modal;
  if (view) await api("/try/api/close", { user: ui.user, view_id: view.id }).catch(() => {});
  refresh();
}

// ---- messages ----------------------------------------------------------------------------

function time(ts) {
  const d = new Date(Number(String(ts).split(".")[0]) * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function messageNode(m, { inThread, ephemeral } = {}) {
  const node = div(`msg${ephemeral ? " ephemeral" : ""}`);
  const bot = Boolean(m.bot_id) || m.user === ui.state.bot_user_id || ephemeral;
  const name = bot ? "Herald" : person(m.user);
  node.appendChild(div(`avatar${bot ? " bot" : ""}`, escapeHtml(name.slice(0, 1).toUpperCase())));
  const body = div("msg-body");
  body.appendChild(div("msg-head", `${escapeHtml(name)}${bot ? ' <span class="badge">APP</span>' : ""} <span class="time">${time(m.ts)}</span>`));
  if (ephemeral) body.appendChild(div("only-you", `Only visible to you${m.label ? ` · ${escapeHtml(m.label)}` : ""}`));
  if (m.subtype === "tombstone" || m.is_deleted) {
    body.appendChild(div("deleted", "This message was deleted."));
  } else {
    const where = ephemeral
      ? { channel: ui.state.channel, ts: m.ts, ephemeral: true }
      : { channel: ui.state.channel, ts: m.ts };
    if (m.blocks && m.blocks.length && !(m.blocks.length === 1 && m.blocks[0].type === "rich_text")) {
      body.appendChild(renderBlocks(m.blocks, where));
    } else {
      body.appendChild(div("", mrkdwn(m.text)));
    }
    for (const a of m.attachments || []) {
      if (a.blocks) body.appendChild(renderBlocks(a.blocks, where));
      else if (a.text || a.fallback) body.appendChild(div("", mrkdwn(a.text || a.fallback)));
    }
    if (m.edited) body.appendChild(div("edited", "(edited)"));
  }
  if (m.reactions?.length) {
    const r = div("reactions");
    for (const x of m.reactions) r.appendChild(div("reaction", `${emoji(`:${escapeHtml(x.name)}:`)} ${x.count ?? x.users?.length ?? 1}`));
    body.appendChild(r);
  }
  if (!inThread && !ephemeral && m.reply_count) {
    const b = document.createElement("button");
    b.className = "replies-link";
    b.textContent = `${m.reply_count} ${m.reply_count === 1 ? "reply" : "replies"}`;
    b.addEventListener("click", () => openThread(m.ts));
    body.appendChild(b);
  }
  if (!ephemeral && m.user === ui.user && m.subtype !== "tombstone") {
    const tools = div("msg-tools");
    if (!inThread && !m.reply_count) tools.appendChild(tool("Reply in thread", () => openThread(m.ts)));
    tools.appendChild(tool("Edit", () => editMessage(m)));
    tools.appendChild(tool("Delete", () => deleteMessage(m)));
    body.appendChild(tools);
  } else if (!inThread && !ephemeral && !m.reply_count) {
    const tools = div("msg-tools");
    tools.appendChild(tool("Reply in thread", () => openThread(m.ts)));
    body.appendChild(tools);
  }
  node.appendChild(body);
  return node;
}

function tool(label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

async function editMessage(m) {
  const text = prompt("Edit message", m.text);
  if (text === null || text === m.text) return;
  await api("/try/api/edit", { user: ui.user, channel: ui.state.channel, ts: m.ts, text }).catch((e) => note(e.message));
  refresh();
}

async function deleteMessage(m) {
  if (!confirm("Delete this message?")) return;
  await api("/try/api/delete", { user: ui.user, channel: ui.state.channel, ts: m.ts }).catch((e) => note(e.message));
  refresh();
}

function isParent(m) {
  return !m.thread_ts || m.thread_ts === m.ts;
}

function drawMessages(s) {
  const channel = s.channels.find((c) => c.id === s.channel) || {};
  $("channel-title").textContent = channel.is_im ? "Herald (DM)" : `${channel.is_private ? "🔒" : "#"} ${channel.name}`;
  const notes = [];
  if (channel.is_archived) notes.push("archived");
  if (channel.is_ext_shared) notes.push("Slack Connect: shared by another company");
  if (!channel.is_member && !channel.is_im) notes.push("Herald is not in this channel");
  $("channel-note").textContent = notes.join(" · ");
  const items = s.messages.filter(isParent).map((m) => ({ ts: m.ts, node: () => messageNode(m) }));
  for (const e of s.ephemerals.filter((x) => !x.thread_ts)) items.push({ ts: e.ts, node: () => messageNode(e, { ephemeral: true }) });
  items.sort((a, b) => Number(a.ts) - Number(b.ts));
  const region = $("messages");
  const atBottom = region.scrollHeight - region.scrollTop - region.clientHeight < 40;
  region.innerHTML = "";
  for (const i of items) region.appendChild(i.node());
  if (!items.length) region.appendChild(div("muted", "No messages yet."));
  if (atBottom) region.scrollTop = region.scrollHeight;
}

function drawThread(s) {
  const pane = $("thread");
  pane.hidden = !ui.thread || ui.pane !== null;
  if (!ui.thread) return;
  const messages = s.messages.filter((m) => m.ts === ui.thread || m.thread_ts === ui.thread);
  const items = messages.map((m) => ({ ts: m.ts, node: () => messageNode(m, { inThread: true }) }));
  for (const e of s.ephemerals.filter((x) => x.thread_ts === ui.thread)) items.push({ ts: e.ts, node: () => messageNode(e, { ephemeral: true, inThread: true }) });
  items.sort((a, b) => Number(a.ts) - Number(b.ts));
  const region = $("thread-messages");
  region.innerHTML = "";
  for (const i of items) region.appendChild(i.node());
}

function openThread(ts) {
  ui.thread = ts;
  ui.pane = null;
  render(true);
}

// ---- sidebar, Home, Platform ---------------------------------------------------------------

function drawSidebar(s) {
  $("team-name").textContent = s.team.name;
  const people = s.people.filter((p) => !p.is_bot && !p.deleted && p.id !== "USLACKBOT");
  const select = $("person");
  select.innerHTML = people.map((p) => `<option value="${p.id}">${escapeHtml(person(p.id))}${p.is_admin ? " (admin)" : ""} · ${escapeHtml(p.locale || "")}</option>`).join("");
  select.value = s.me;
  const list = (filter, label) => s.channels.filter(filter).map((c) => {
    const cls = [c.id === s.channel ? "active" : "", c.is_archived ? "unavailable" : ""].join(" ");
    return `<li><a href="#" class="${cls}" data-channel="${c.id}">${label(c)}</a></li>`;
  }).join("");
  $("channels").innerHTML = list((c) => !c.is_im, (c) => `${c.is_private ? "🔒" : "#"} ${escapeHtml(c.name)}${c.is_ext_shared ? " ⇄" : ""}`);
  $("dms").innerHTML = list((c) => c.is_im, () => "Herald");
  for (const a of document.querySelectorAll("[data-channel]")) {
    a.addEventListener("click", (ev) => {
      ev.preventDefault();
      ui.channel = a.dataset.channel;
      localStorage.setItem("herald-try-channel", ui.channel);
      ui.thread = null;
      ui.pane = null;
      refresh();
    });
  }
}

function drawHome(s) {
  $("home").hidden = ui.pane !== "home";
  if (ui.pane !== "home") return;
  const region = $("home-view");
  region.innerHTML = "";
  if (!s.home) region.appendChild(div("muted", "Opening Herald's Home tab…"));
  else region.appendChild(renderBlocks(s.home.blocks, { home: true }));
}

function drawPlatform(s) {
  $("platform").hidden = ui.pane !== "platform";
  if (ui.pane !== "platform") return;
  const region = $("callbacks");
  region.innerHTML = "";
  if (!s.callbacks.length) region.appendChild(div("muted", "None yet: reply in a chat's thread in #support."));
  for (const c of [...s.callbacks].reverse()) {
    const d = div("callback");
    const badge = c.signature_ok ? '<span class="ok">signature verified</span>' : `<span class="bad">signature refused: ${escapeHtml(c.signature_error)}</span>`;
    d.innerHTML = `<div><strong>${escapeHtml(c.body?.type || "?")}</strong> · ${badge} · answered ${c.status}</div><pre>${escapeHtml(JSON.stringify(c.body, null, 2))}</pre>`;
    region.appendChild(d);
  }
}

async function sendEvent() {
  const out = $("event-answer");
  try {
    const answer = await api("/try/api/platform", { body: $("event-json").value });
    out.textContent = `HTTP ${answer.status}\n${JSON.stringify(answer.body, null, 2)}`;
  } catch (err) {
    out.textContent = err.message;
  }
  refresh();
}

// ---- the composer ------------------------------------------------------------------------

function note(text) {
  $("composer-note").textContent = text || "";
}

async function send(text, thread) {
  text = text.trim();
  if (!text) return;
  note("");
  try {
    if (text.startsWith("/") && !thread) {
      const answer = await api("/try/api/command", { user: ui.user, channel: ui.state.channel, text });
      if (answer.unknown_command) note(answer.unknown_command);
    } else {
      const answer = await api("/try/api/say", { user: ui.user, channel: ui.state.channel, thread_ts: thread, text });
      if (answer.event === false) note("Posted. Herald is not in this channel, so Slack sent it no event.");
    }
  } catch (err) {
    note(err.message);
  }
  refresh();
}

// ---- the loop ----------------------------------------------------------------------------

function render(force) {
  const s = ui.state;
  if (!s) return;
  const regions = {
    sidebar: [s.me, s.channel, s.people, s.channels],
    messages: [s.channel, s.messages, s.ephemerals, s.people],
    thread: [ui.thread, ui.pane, s.messages, s.ephemerals],
    home: [ui.pane, s.home],
    platform: [ui.pane, s.callbacks],
  };
  const draw = { sidebar: drawSidebar, messages: drawMessages, thread: drawThread, home: drawHome, platform: drawPlatform };
  for (const [name, parts] of Object.entries(regions)) {
    const key = JSON.stringify(parts);
    if (force || ui.rendered[name] !== key) {
      ui.rendered[name] = key;
      draw[name](s);
    }
  }
  drawModal(s.modal, s.modal_errors);
}

let polling = null;
async function refresh() {
  clearTimeout(polling);
  try {
    const q = new URLSearchParams();
    if (ui.user) q.set("user", ui.user);
    if (ui.channel) q.set("channel", ui.channel);
    ui.state = await api(`/try/api/state?${q}`);
    ui.user = ui.state.me;
    ui.channel = ui.state.channel;
    render(false);
    ui.refreshes += 1;
  } catch (err) {
    note(`The playground is not answering: ${err.message}`);
  }
  polling = setTimeout(refresh, 1000);
}

function wire() {
  $("person").addEventListener("change", (ev) => {
    ui.user = ev.target.value;
    localStorage.setItem("herald-try-user", ui.user);
    ui.rendered = {};
    if (ui.pane === "home") api("/try/api/home", { user: ui.user }).catch(() => {});
    refresh();
  });
  const submitOnEnter = (textarea, form) => textarea.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });
  submitOnEnter($("composer-text"), $("composer"));
  submitOnEnter($("thread-text"), $("thread-composer"));
  $("composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("composer-text").value;
    $("composer-text").value = "";
    send(text, null);
  });
  $("thread-composer").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("thread-text").value;
    $("thread-text").value = "";
    send(text, ui.thread);
  });
  $("close-thread").addEventListener("click", () => { ui.thread = null; render(true); });
  for (const b of document.querySelectorAll(".close-pane")) b.addEventListener("click", () => { ui.pane = null; render(true); });
  $("open-home").addEventListener("click", async (ev) => {
    ev.preventDefault();
    ui.pane = "home";
    render(true);
    await api("/try/api/home", { user: ui.user }).catch((e) => note(e.message));
    refresh();
  });
  $("open-platform").addEventListener("click", (ev) => { ev.preventDefault(); ui.pane = "platform"; render(true); });
  $("sample").addEventListener("change", () => {
    const s = ui.samples[Number($("sample").value)];
    $("event-json").value = JSON.stringify(s.body, null, 2);
  });
  $("send-event").addEventListener("click", sendEvent);
  $("modal-submit").addEventListener("click", submitModal);
  $("modal-cancel").addEventListener("click", closeModal);
  $("modal-close").addEventListener("click", closeModal);
}

// The Platform panel's examples, fresh (their occurred_at is now) when the page loads.
async function loadSamples() {
  ui.samples = await api("/try/api/samples").catch(() => []);
  $("sample").innerHTML = ui.samples.map((x, i) => `<option value="${i}">${escapeHtml(x.name)}</option>`).join("");
  $("event-json").value = JSON.stringify(ui.samples[0]?.body ?? {}, null, 2);
}

wire();
loadSamples();
refresh();
