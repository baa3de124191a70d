// The demo page: renders what the stand-in Slack keeps, and sends what a person does.
"use strict";

const ui = {
  user: localStorage.getItem("tandem-demo-user") || "U0DEMOREP",
  view: null, // a channel id, or "home"
  thread: null, // the ts of the open thread
  state: null, // the last /demo/state answer
  modalKey: null, // what the shown modal was drawn from
  modalErrors: {},
};
const $ = (id) => document.getElementById(id);
const BOT = "UTANDEM";
const EMOJI = {
  white_check_mark: "✅", warning: "⚠️", x: "❌", calendar: "📅", chart_with_upwards_trend: "📈",
  chart_with_downwards_trend: "📉", bar_chart: "📊", memo: "📝", bulb: "💡", tada: "🎉",
  trophy: "🏆", thumbsup: "👍", "+1": "👍", thumbsdown: "👎", "-1": "👎", mag: "🔍",
  rotating_light: "🚨", hourglass: "⌛", hourglass_flowing_sand: "⏳", alarm_clock: "⏰",
  bell: "🔔", inbox_tray: "📥", outbox_tray: "📤", books: "📚", book: "📖", link: "🔗",
  speech_balloon: "💬", star: "⭐", fire: "🔥", handshake: "🤝", wave: "👋", clipboard: "📋",
  arrow_up: "⬆️", arrow_down: "⬇️", arrow_right: "➡️", small_red_triangle: "🔺",
  small_red_triangle_down: "🔻", heavy_check_mark: "✔️", no_entry: "⛔", lock: "🔒", key: "🔑",
  new: "🆕", eyes: "👀", spiral_calendar_pad: "🗓️", date: "📅", pushpin: "📌", zap: "⚡",
  moneybag: "💰", thread: "🧵", bookmark_tabs: "📑", dart: "🎯", busts_in_silhouette: "👥", telescope: "🔭", newspaper: "📰",
};

// -- talking to the server --------------------------------------------------------------

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user: ui.user, ...body }),
  });
  let answer;
  try {
    answer = await response.json();
  } catch (error) {
    answer = { ok: false, status: response.status, error: `the demo answered HTTP ${response.status}` };
  }
  await refresh(true);
  return answer;
}

async function refresh(force) {
  const since = !force && ui.state ? `&since=${ui.state.version}` : "";
  const response = await fetch(`/demo/state?user=${encodeURIComponent(ui.user)}${since}`);
  const state = await response.json();
  if (state.unchanged) return;
  ui.state = state;
  render();
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

// -- text: Slack's mrkdwn -----------------------------------------------------------------

function escapeHtml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

// Slack sends &amp; &lt; &gt; escaped; anything else that is markup-like stays text.
function slackEntities(text) {
  return text.replace(/&(?!(amp|lt|gt);)/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function personName(id) {
  const person = ui.state && ui.state.people.find((p) => p.id === id);
  return person ? person.name : id;
}

function channelName(id) {
  const channel = ui.state && ui.state.channels.find((c) => c.id === id);
  return channel ? channel.name : id;
}

function safeUrl(url) {
  return /^(https?:|mailto:|\/|#)/i.test(url) ? url : null;
}

function emoji(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] || all);
}

function mrkdwn(source) {
  const held = [];
  const hold = (html) => { held.push(html); return `\u0000${held.length - 1}\u0000`; };
  let text = String(source || "");
  text = text.replace(/```([\s\S]*?)```/g, (_, code) => hold(`<pre>${slackEntities(code)}</pre>`));
  text = text.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${slackEntities(code)}</code>`));
  text = text.replace(/<([^<>\n]+)>/g, (all, inner) => {
    const [target, label] = inner.split("|", 2);
    if (target.startsWith("@")) {
      return hold(`<span class="mention">@${escapeHtml(label || personName(target.slice(1)))}</span>`);
    }
    if (target.startsWith("#")) {
      return hold(`<span class="mention">#${escapeHtml(label || channelName(target.slice(1)))}</span>`);
    }
    if (target.startsWith("!")) {
      const word = target.slice(1).split("^")[0];
      if (word === "date") return hold(escapeHtml(label || ""));
      return hold(`<span class="mention broadcast">@${escapeHtml(label || word)}</span>`);
    }
    const url = safeUrl(target.replace(/&amp;/g, "&"));
    if (!url) return all;
    const shown = label ? inlineFormat(slackEntities(label)) : slackEntities(target);
    return hold(`<a href="${escapeHtml(url)}" target="_blank" rel="noopener">${shown}</a>`);
  });
  const lines = slackEntities(text).split("\n");
  const out = [];
  let list = null;
  for (const line of lines) {
    const item = line.match(/^\s*(?:•|◦|▪|-)\s+(.*)$/);
    if (item) {
      if (!list) { list = []; out.push(list); }
      list.push(inlineFormat(item[1]));
      continue;
    }
    list = null;
    const quote = line.match(/^&gt;\s?(.*)$/);
    out.push(quote ? `<blockquote>${inlineFormat(quote[1])}</blockquote>` : inlineFormat(line));
  }
  let html = "";
  out.forEach((part, index) => {
    if (Array.isArray(part)) {
      html += `<ul>${part.map((i) => `<li>${i}</li>`).join("")}</ul>`;
    } else {
      html += part;
      const next = out[index + 1];
      if (next !== undefined && !Array.isArray(next) && !part.startsWith("<blockquote>")) html += "<br>";
    }
  });
  return emoji(html).replace(/\u0000(\d+)\u0000/g, (_, n) => held[Number(n)]);
}

function inlineFormat(text) {
  const around = (mark, tag) => new RegExp(
    `(^|[^\\w${mark}])\\${mark}(?=\\S)([^${mark}\\n]*?\\S)\\${mark}(?=$|[^\\w${mark}])`, "g");
  return text
    .replace(around("*", "b"), "$1<b>$2</b>")
    .replace(around("_", "i"), "$1<i>$2</i>")
    .replace(around("~", "s"), "$1<s>$2</s>");
}

function textObject(object) {
  if (!object) return "";
  if (typeof object === "string") return escapeHtml(object);
  return object.type === "mrkdwn" ? mrkdwn(object.text) : emoji(escapeHtml(object.text));
}

// -- Block Kit ------------------------------------------------------------------------------

function element(tag, className, html) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

// `where` says what a click belongs to: {channel, ts} for a message, {view_id} for a view.
function renderBlocks(blocks, where, inputs) {
  const box = element("div", "blocks");
  for (const block of blocks || []) box.appendChild(renderBlock(block, where, inputs));
  return box;
}

function renderBlock(block, where, inputs) {
  switch (block.type) {
    case "header":
      return element("div", "bk-header", textObject(block.text));
    case "divider":
      return element("hr", "bk-divider");
    case "section": {
      const node = element("div", "bk-section");
      const text = element("div", "text mrkdwn", textObject(block.text));
      if (block.fields) {
        const fields = element("div", "bk-fields");
        for (const field of block.fields) fields.appendChild(element("div", "mrkdwn", textObject(field)));
        text.appendChild(fields);
      }
      node.appendChild(text);
      if (block.accessory) node.appendChild(renderElement(block.accessory, block, where));
      return node;
    }
    case "context": {
      const node = element("div", "bk-context");
      for (const part of block.elements || []) {
        if (part.type === "image") {
          const img = element("img");
          img.src = part.image_url; img.alt = part.alt_text || "";
          node.appendChild(img);
        } else {
          node.appendChild(element("span", "mrkdwn", textObject(part)));
        }
      }
      return node;
    }
    case "image": {
      const node = element("div", "bk-image");
      if (block.title) node.appendChild(element("div", "title", textObject(block.title)));
      const img = element("img");
      img.src = block.image_url || (block.slack_file && block.slack_file.url) || "";
      img.alt = block.alt_text || "";
      node.appendChild(img);
      return node;
    }
    case "actions": {
      const node = element("div", "bk-actions");
      for (const part of block.elements || []) node.appendChild(renderElement(part, block, where));
      return node;
    }
    case "input":
      return renderInput(block, inputs);
    case "rich_text":
      return element("div", "mrkdwn", escapeHtml(richText(block)));
    default:
      return element("div", "bk-unknown", `Unsupported block: ${escapeHtml(block.type)}`);
  }
}

function richText(block) {
  const parts = [];
  const walk = (node) => {
    if (node.text) parts.push(node.text);
    (node.elements || []).forEach(walk);
  };
  walk(block);
  return parts.join("");
}

function renderElement(part, block, where) {
  if (part.type === "button") {
    const button = element("button", `bk-button ${part.style || ""}`, textObject(part.text));
    button.type = "button";
    button.dataset.actionId = part.action_id || "";
    button.addEventListener("click", () => {
      if (part.confirm && !window.confirm(plainOf(part.confirm.text))) return;
      if (part.url && safeUrl(part.url)) window.open(part.url, "_blank", "noopener");
      click(where, {
        type: "button", action_id: part.action_id, block_id: block.block_id || "",
        value: part.value || "", text: part.text,
      });
    });
    return button;
  }
  if (part.type === "image") {
    const img = element("img");
    img.src = part.image_url; img.alt = part.alt_text || ""; img.width = 64;
    return img;
  }
  if (part.type === "static_select" || part.type === "overflow") {
    const select = element("select");
    select.appendChild(new Option(part.type === "overflow" ? "⋯" : plainOf(part.placeholder) || "Choose…", ""));
    for (const option of part.options || []) select.appendChild(new Option(plainOf(option.text), option.value));
    select.addEventListener("change", () => {
      const option = (part.options || []).find((o) => o.value === select.value);
      if (!option) return;
      const action = { type: part.type, action_id: part.action_id, block_id: block.block_id || "" };
      action.selected_option = option;
      click(where, action);
    });
    return select;
  }
  return element("span", "bk-unknown", `Unsupported element: ${escapeHtml(part.type)}`);
}

function plainOf(object) {
  return object ? (typeof object === "string" ? object : object.text || "") : "";
}

async function click(where, action) {
  const answer = await post("/demo/click", { action, ...where, state: where.view_id ? modalState() : {} });
  if (!answer.ok) toast(`The app answered HTTP ${answer.status}`);
}

// -- forms (modals) -------------------------------------------------------------------------

function renderInput(block, inputs) {
  const part = block.element || {};
  const node = element("div", "bk-input");
  node.dataset.blockId = block.block_id;
  const label = element("label", "label", textObject(block.label));
  if (block.optional) label.appendChild(element("span", "optional", " (optional)"));
  node.appendChild(label);
  let control;
  const id = `input-${block.block_id}`;
  label.htmlFor = id;
  switch (part.type) {
    case "plain_text_input":
    case "email_text_input":
    case "url_text_input":
    case "number_input":
      control = element(part.multiline ? "textarea" : "input");
      if (!part.multiline) control.type = part.type === "number_input" ? "number" : "text";
      control.value = part.initial_value || "";
      control.placeholder = plainOf(part.placeholder);
      if (part.max_length) control.maxLength = part.max_length;
      break;
    case "static_select":
      control = element("select");
      control.appendChild(new Option(plainOf(part.placeholder) || "Choose…", ""));
      for (const option of allOptions(part)) control.appendChild(new Option(plainOf(option.text), option.value));
      control.value = part.initial_option ? part.initial_option.value : "";
      break;
    case "multi_static_select":
      control = element("select");
      control.multiple = true;
      for (const option of allOptions(part)) {
        const picked = (part.initial_options || []).some((o) => o.value === option.value);
        control.appendChild(new Option(plainOf(option.text), option.value, picked, picked));
      }
      break;
    case "checkboxes":
    case "radio_buttons":
      control = element("div", "choices");
      for (const option of part.options || []) {
        const choice = element("label", "choice");
        const box = element("input");
        box.type = part.type === "checkboxes" ? "checkbox" : "radio";
        box.name = id;
        box.value = option.value;
        box.checked = part.type === "checkboxes"
          ? (part.initial_options || []).some((o) => o.value === option.value)
          : Boolean(part.initial_option && part.initial_option.value === option.value);
        choice.appendChild(box);
        choice.appendChild(element("span", "", ` ${textObject(option.text)}`));
        control.appendChild(choice);
      }
      break;
    case "datepicker":
      control = element("input");
      control.type = "date";
      control.value = part.initial_date || "";
      break;
    case "timepicker":
      control = element("input");
      control.type = "time";
      control.value = part.initial_time || "";
      break;
    case "users_select":
      control = element("select");
      control.appendChild(new Option("Choose a person…", ""));
      for (const person of ui.state.people) control.appendChild(new Option(person.name, person.id));
      control.value = part.initial_user || "";
      break;
    case "channels_select":
    case "conversations_select":
      control = element("select");
      control.appendChild(new Option("Choose a channel…", ""));
      for (const channel of ui.state.channels) control.appendChild(new Option(`#${channel.name}`, channel.id));
      control.value = part.initial_channel || part.initial_conversation || "";
      break;
    default:
      control = element("div", "bk-unknown", `Unsupported input: ${escapeHtml(part.type)}`);
  }
  control.id = id;
  node.appendChild(control);
  if (block.hint) node.appendChild(element("div", "hint", textObject(block.hint)));
  const error = ui.modalErrors[block.block_id];
  if (error) {
    node.classList.add("invalid");
    node.appendChild(element("div", "error", escapeHtml(error)));
  }
  if (inputs) inputs.push({ block, part, control });
  return node;
}

function allOptions(part) {
  if (part.option_groups) return part.option_groups.flatMap((group) => group.options);
  return part.options || [];
}

function modalState() {
  const values = {};
  for (const { block, part, control } of ui.modalInputs || []) {
    const actionId = part.action_id || "value";
    const find = (value) => allOptions(part).find((o) => o.value === value) || null;
    let state = { type: part.type };
    switch (part.type) {
      case "plain_text_input":
      case "email_text_input":
      case "url_text_input":
      case "number_input":
        state.value = control.value === "" ? null : control.value;
        break;
      case "static_select":
        state.selected_option = control.value ? find(control.value) : null;
        break;
      case "multi_static_select":
        state.selected_options = [...control.selectedOptions].map((o) => find(o.value));
        break;
      case "checkboxes":
        state.selected_options = [...control.querySelectorAll("input:checked")].map((b) => find(b.value));
        break;
      case "radio_buttons": {
        const picked = control.querySelector("input:checked");
        state.selected_option = picked ? find(picked.value) : null;
        break;
      }
      case "datepicker":
        state.selected_date = control.value || null;
        break;
      case "timepicker":
        state.selected_time = control.value || null;
        break;
      case "users_select":
        state.selected_user = control.value || null;
        break;
      case "channels_select":
        state.selected_channel = control.value || null;
        break;
      case "conversations_select":
        state.selected_conversation = control.value || null;
        break;
      default:
        state = null;
    }
    if (state) values[block.block_id] = { [actionId]: state };
  }
  return values;
}

function renderModal() {
  const modal = ui.state.modal;
  const layer = $("modal-layer");
  if (!modal) {
    layer.hidden = true;
    ui.modalKey = null;
    return;
  }
  const key = JSON.stringify(modal);
  if (key === ui.modalKey) return; // keep what the person has typed
  ui.modalKey = key;
  const box = $("modal");
  box.innerHTML = "";
  box.dataset.viewId = modal.id;
  const view = modal.view;
  box.appendChild(element("div", "modal-title", textObject(view.title)));
  const body = element("div", "modal-body");
  if (modal.refused) body.appendChild(refusal("Slack refused this form", modal.refused));
  ui.modalInputs = [];
  body.appendChild(renderBlocks(view.blocks, { view_id: modal.id }, ui.modalInputs));
  box.appendChild(body);
  const buttons = element("div", "modal-buttons");
  const close = element("button", "", textObject(view.close || { type: "plain_text", text: "Cancel" }));
  close.type = "button";
  close.id = "modal-close";
  close.addEventListener("click", async () => { ui.modalErrors = {}; await post("/demo/close", {}); });
  buttons.appendChild(close);
  if (view.submit) {
    const submit = element("button", "primary", textObject(view.submit));
    submit.type = "button";
    submit.id = "modal-submit";
    submit.addEventListener("click", submitModal);
    buttons.appendChild(submit);
  }
  box.appendChild(buttons);
  layer.hidden = false;
}

async function submitModal() {
  const modal = ui.state.modal;
  const answer = await post("/demo/submit", { view_id: modal.id, state: modalState() });
  if (answer.errors) {
    ui.modalErrors = answer.errors;
    ui.modalKey = null;
    const kept = modalState();
    renderModal();
    restoreModal(kept);
  } else {
    ui.modalErrors = {};
    if (!answer.ok) toast(`The app answered HTTP ${answer.status}`);
  }
}

function restoreModal(values) {
  for (const { block, part, control } of ui.modalInputs) {
    const state = (values[block.block_id] || {})[part.action_id || "value"];
    if (!state) continue;
    if ("value" in state) control.value = state.value || "";
    if (state.selected_option && control.tagName === "SELECT") control.value = state.selected_option.value;
    if (state.selected_options && part.type === "checkboxes") {
      const picked = new Set(state.selected_options.map((o) => o.value));
      control.querySelectorAll("input").forEach((box) => { box.checked = picked.has(box.value); });
    }
    if (state.selected_option && part.type === "radio_buttons") {
      control.querySelectorAll("input").forEach((box) => { box.checked = box.value === state.selected_option.value; });
    }
    if (state.selected_date) control.value = state.selected_date;
    if (state.selected_time) control.value = state.selected_time;
  }
}

// -- messages ---------------------------------------------------------------------------

function refusal(title, problems) {
  const box = element("div", "refused", `<b>${escapeHtml(title)}</b> (invalid_blocks)`);
  const list = element("ul");
  for (const problem of problems) list.appendChild(element("li", "", escapeHtml(problem)));
  box.appendChild(list);
  return box;
}

function when(ts) {
  const date = new Date(Number(ts) * 1000);
  return date.toLocaleString("en-GB", {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    timeZone: "UTC",
  }) + " UTC";
}

function renderMessage(message, replies) {
  const node = element("div", `message${message.ephemeral ? " ephemeral" : ""}`);
  node.dataset.ts = message.ts;
  const bot = message.user === BOT;
  const avatar = element("div", "avatar", bot ? "T" : escapeHtml(personName(message.user)[0]));
  avatar.style.background = bot ? "#1d3b5a" : "#b55d3c";
  node.appendChild(avatar);
  const body = element("div", "body");
  const meta = element("div", "meta");
  meta.appendChild(element("span", "name", escapeHtml(bot ? "Tandem" : personName(message.user))));
  if (bot) meta.appendChild(element("span", "app", "APP"));
  meta.appendChild(element("span", "time", when(message.ts)));
  body.appendChild(meta);
  if (message.ephemeral) body.appendChild(element("div", "only-you", "Only visible to you"));
  if (message.refused) {
    body.appendChild(refusal("Slack refused this message", message.refused));
  } else if (message.blocks && message.blocks.length) {
    body.appendChild(renderBlocks(message.blocks, { channel: message.channel, ts: message.ts }));
  } else if (message.text) {
    body.appendChild(element("div", "mrkdwn", mrkdwn(message.text)));
  }
  if (message.edited) body.appendChild(element("span", "edited", "(edited)"));
  if (message.files.length) {
    const files = element("div", "files");
    for (const file of message.files) {
      const item = element("div", "file");
      if (file.mimetype.startsWith("image/")) {
        item.appendChild(element("div", "title", escapeHtml(file.title)));
        const img = element("img");
        img.src = file.url_private; img.alt = file.title;
        item.appendChild(img);
      } else {
        const link = element("a", "download", `⬇ ${escapeHtml(file.title || file.name)}`);
        link.href = file.url_private;
        link.download = file.name;
        item.appendChild(link);
      }
      files.appendChild(item);
    }
    body.appendChild(files);
  }
  if (replies && replies.length) {
    const more = element("button", "replies", `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`);
    more.type = "button";
    more.addEventListener("click", () => { ui.thread = message.ts; render(); });
    body.appendChild(more);
  }
  node.appendChild(body);
  if (!message.ephemeral && !message.refused) node.appendChild(messageMenu(message));
  return node;
}

function messageMenu(message) {
  const holder = element("div");
  const button = element("button", "menu-button", "⋮ More actions");
  button.type = "button";
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    document.querySelectorAll(".menu").forEach((m) => m.remove());
    const menu = element("div", "menu");
    for (const shortcut of ui.state.shortcuts) {
      const item = element("button", "", escapeHtml(shortcut.name));
      item.type = "button";
      item.addEventListener("click", async () => {
        menu.remove();
        const answer = await post("/demo/shortcut", {
          channel: message.channel, ts: message.ts, callback_id: shortcut.callback_id,
        });
        if (!answer.ok) toast(`The app answered HTTP ${answer.status}`);
      });
      menu.appendChild(item);
    }
    holder.appendChild(menu);
  });
  holder.appendChild(button);
  return holder;
}

function renderChannel() {
  const box = $("messages");
  const keepBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 40;
  box.innerHTML = "";
  const inChannel = ui.state.messages.filter((m) => m.channel === ui.view);
  const top = inChannel.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  if (!top.length) box.appendChild(element("div", "empty", "Nothing here yet: type a command below (start the demo with --seed for a busy workspace)."));
  for (const message of top) {
    const replies = inChannel.filter((m) => m.thread_ts === message.ts && m.ts !== message.ts);
    box.appendChild(renderMessage(message, replies));
  }
  if (keepBottom || renderChannel.last !== ui.view) box.scrollTop = box.scrollHeight;
  renderChannel.last = ui.view;
  const thread = $("thread");
  const parent = ui.thread && inChannel.find((m) => m.ts === ui.thread);
  thread.hidden = !parent;
  if (parent) {
    const list = $("thread-messages");
    list.innerHTML = "";
    list.appendChild(renderMessage(parent));
    for (const reply of inChannel.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts)) {
      list.appendChild(renderMessage(reply));
    }
  }
}

function renderHome() {
  const box = $("home");
  box.innerHTML = "";
  const home = ui.state.home;
  if (!home) {
    box.appendChild(element("div", "empty", "Opening the Home tab…"));
    return;
  }
  if (home.refused) box.appendChild(refusal("Slack refused this Home tab", home.refused));
  box.appendChild(renderBlocks(home.view.blocks, { view_id: home.id }));
}

// -- the page around them ---------------------------------------------------------------------

function render() {
  const state = ui.state;
  $("demo-time").textContent = `demo time ${new Date(state.now).toUTCString().replace("GMT", "UTC")}`;
  const actor = $("actor");
  if (!actor.options.length) {
    for (const id of state.actors) {
      const person = state.people.find((p) => p.id === id);
      actor.appendChild(new Option(`${person.name} (${person.role})`, id));
    }
    actor.value = ui.user;
    $("handoff-secret").value = state.hook_secret || "";
  }
  const channels = $("channels");
  if (!channels.children.length) {
    for (const channel of state.channels) {
      const link = element("a", "nav", `# ${escapeHtml(channel.name)}`);
      link.href = `#${channel.name}`;
      link.dataset.channel = channel.id;
      link.addEventListener("click", (event) => { event.preventDefault(); show(channel.id); });
      channels.appendChild(link);
    }
  }
  if (ui.view === null) ui.view = state.channels[0].id;
  document.querySelectorAll(".nav").forEach((link) => {
    link.classList.toggle("active", (link.dataset.channel || link.dataset.view) === ui.view);
  });
  const picks = $("clock-picks");
  picks.innerHTML = "";
  for (const run of state.next_runs) {
    const pick = element("button", "", `${escapeHtml(run.what)} · ${escapeHtml(run.at.slice(0, 16).replace("T", " "))}`);
    pick.type = "button";
    pick.addEventListener("click", () => { $("clock-at").value = run.at.slice(0, 16); });
    picks.appendChild(pick);
  }
  if (!$("clock-at").value && state.next_runs.length) $("clock-at").value = state.next_runs[0].at.slice(0, 16);
  const home = ui.view === "home";
  $("home").hidden = !home;
  $("messages").hidden = home;
  $("composer-form").hidden = home;
  if (home) {
    $("title").textContent = "Tandem";
    $("topic").textContent = "Home";
    $("thread").hidden = true;
    renderHome();
  } else {
    const channel = state.channels.find((c) => c.id === ui.view);
    $("title").textContent = `# ${channel.name}`;
    $("topic").textContent = channel.topic;
    renderChannel();
  }
  renderModal();
}

function show(view) {
  ui.view = view;
  ui.thread = null;
  location.hash = view === "home" ? "home" : channelName(view);
  if (view === "home") post("/demo/home", {});
  render();
}

function commandOf(text) {
  const name = text.split(/\s/)[0];
  return ui.state.commands.find((c) => c.command === name);
}

function suggest() {
  const text = $("composer").value;
  const box = $("suggestions");
  const known = text.startsWith("/") ? commandOf(text) : null;
  $("hint").textContent = known ? `${known.command} ${known.usage_hint}` : "";
  if (!text.startsWith("/") || /\s/.test(text)) {
    box.hidden = true;
    return;
  }
  box.innerHTML = "";
  for (const command of ui.state.commands.filter((c) => c.command.startsWith(text))) {
    const item = element("div", "suggestion",
      `<b>${escapeHtml(command.command)}</b> ${escapeHtml(command.description)}` +
      `<span class="usage">${escapeHtml(command.command)} ${escapeHtml(command.usage_hint)}</span>`);
    item.addEventListener("click", () => {
      $("composer").value = `${command.command} `;
      $("composer").focus();
      suggest();
    });
    box.appendChild(item);
  }
  box.hidden = !box.children.length;
}

async function send(event) {
  event.preventDefault();
  const text = $("composer").value.trim();
  if (!text) return;
  $("composer").value = "";
  suggest();
  if (!text.startsWith("/")) {
    await post("/demo/say", { channel: ui.view, text });
    return;
  }
  const known = commandOf(text);
  if (!known) {
    toast(`${text.split(/\s/)[0]} is not a valid command. In Slack, messages starting with “/” are commands.`);
    return;
  }
  const answer = await post("/demo/command", {
    channel: ui.view, command: known.command, text: text.slice(known.command.length).trim(),
  });
  if (!answer.ok) toast(`${known.command} failed with the error "dispatch_failed" (HTTP ${answer.status})`);
}

async function runClock(event) {
  event.preventDefault();
  const at = `${$("clock-at").value}:00Z`;
  $("clock-run").disabled = true;
  try {
    const answer = await post("/demo/clock", { at });
    toast(answer.ok ? `The clock ran at ${at}: ${answer.report}` : answer.error);
  } finally {
    $("clock-run").disabled = false;
  }
}

async function handOver(event) {
  event.preventDefault();
  const form = new FormData($("handoff-form"));
  const lead = {};
  for (const [name, value] of form.entries()) {
    if (name === "secret" || value === "") continue;
    lead[name] = name === "score" ? Number(value) : value;
  }
  const answer = await post("/demo/handoff", { secret: form.get("secret"), lead });
  $("handoff-answer").textContent = `HTTP ${answer.status} ${JSON.stringify(answer.answer)}`;
  if (answer.ok) {
    const next = Number(String(lead.lead).replace(/\D/g, "")) + 1;
    $("handoff-form").elements.lead.value = `HS-${next || 3002}`;
    setTimeout(() => { $("handoff-layer").hidden = true; show(ui.state.handoff_channel || ui.view); }, 600);
  }
}

function start() {
  $("actor").addEventListener("change", async () => {
    ui.user = $("actor").value;
    localStorage.setItem("tandem-demo-user", ui.user);
    ui.modalKey = null;
    await refresh(true);
    if (ui.view === "home") post("/demo/home", {});
  });
  $("nav-home").addEventListener("click", (event) => { event.preventDefault(); show("home"); });
  $("composer").addEventListener("input", suggest);
  $("composer-form").addEventListener("submit", send);
  $("clock-form").addEventListener("submit", runClock);
  $("thread-close").addEventListener("click", () => { ui.thread = null; render(); });
  $("handoff-open").addEventListener("click", () => {
    $("handoff-answer").textContent = "";
    const lead = $("handoff-form").elements.lead;
    if (!lead.value) lead.value = "HS-3001";
    $("handoff-layer").hidden = false;
  });
  $("handoff-cancel").addEventListener("click", () => { $("handoff-layer").hidden = true; });
  $("handoff-form").addEventListener("submit", handOver);
  document.addEventListener("click", () => document.querySelectorAll(".menu").forEach((m) => m.remove()));
  refresh(true).then(() => {
    const wanted = location.hash.slice(1);
    if (wanted === "home") show("home");
    const match = wanted.match(/^msg\/([^/]+)\/(.+)$/);
    const channel = ui.state.channels.find((c) => c.name === wanted || (match && c.id === match[1]));
    if (channel) show(channel.id);
  });
  setInterval(() => refresh(false).catch(() => {}), 1000);
}

start();
