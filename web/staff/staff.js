// Review inbox for support staff (painfaq/staff/web.py serves its API). Keyboard-first; every text from
// users is put in the page with textContent, never as HTML.
(function () {
  "use strict";

  // `open`: the group whose messages are shown ({ key, items, selected }); labels then go to one message.
  const state = { csrf: null, topics: [], groups: [], selected: 0, page: 1, lastLabelIds: [], open: null };
  const $ = (id) => document.getElementById(id);

  function status(message) {
    $("status").textContent = message;
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      if (state.csrf) headers["X-CSRF-Token"] = state.csrf;
    }
    const response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (response.status === 401 && path !== "/staff/api/login") showLogin();
    if (!response.ok) throw new Error(data.message || "HTTP " + response.status);
    return data;
  }

  function showLogin() {
    state.csrf = null;
    $("login-section").hidden = false;
    $("inbox-section").hidden = true;
    $("logout").hidden = true;
    $("who").hidden = true;
    $("username").focus();
  }

  async function showInbox() {
    const session = await api("GET", "/staff/api/session");
    state.csrf = session.csrf;
    state.topics = session.topics;
    $("who").textContent = "Logged in as " + session.username;
    $("who").hidden = false;
    $("logout").hidden = false;
    $("login-section").hidden = true;
    $("inbox-section").hidden = false;
    const picker = $("topic-picker");
    picker.replaceChildren();
    for (const topic of state.topics) {
      const option = document.createElement("option");
      option.value = topic.id;
      option.textContent = topic.title;
      picker.appendChild(option);
    }
    await load();
  }

  function query() {
    const params = new URLSearchParams({ page: String(state.page), per_page: "50" });
    if ($("from").value) params.set("from", $("from").value);
    if ($("to").value) params.set("to", $("to").value);
    if ($("outcome").value) params.set("outcome", $("outcome").value);
    if ($("unlabelled").checked) params.set("unlabelled", "1");
    return params.toString();
  }

  async function load() {
    const data = await api("GET", "/staff/api/inbox?" + query());
    state.groups = data.groups;
    state.selected = Math.min(state.selected, Math.max(0, state.groups.length - 1));
    $("summary").textContent =
      data.total_groups + " groups of messages (page " + data.page + "); " +
      data.safety_replies_not_shown + " messages got a safety reply and are not shown.";
    render();
  }

  function topicForIntent(intent) {
    return state.topics.find((t) => t.intent === intent);
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function describeLabel(label) {
    const scope = label.item_id === null || label.item_id === undefined ? "" : ", one message";
    if (label.label === "topic") {
      const topic = state.topics.find((t) => t.id === label.topic);
      return "topic: " + (topic ? topic.title : label.topic) + " (" + label.labelled_by + scope + ")";
    }
    return label.label.replace(/_/g, " ") + " (" + label.labelled_by + scope + ")";
  }

  function guessText(guesses) {
    return guesses.map((g, i) => (i + 1) + ". " + g.intent + " " + g.confidence.toFixed(2)).join("\n");
  }

  function render() {
    const body = $("inbox").querySelector("tbody");
    body.replaceChildren();
    state.groups.forEach((group, index) => {
      const row = document.createElement("tr");
      row.tabIndex = -1;
      row.setAttribute("aria-selected", index === state.selected ? "true" : "false");
      cell(row, String(group.count), "count");
      cell(row, group.text);
      cell(row, Object.entries(group.outcomes).map(([k, v]) => k.replace(/_/g, " ") + " ×" + v).join(", ") +
        (Object.keys(group.clicked).length ? "; clicked " + Object.keys(group.clicked).join(", ") : ""));
      cell(row, guessText(group.guesses));
      cell(row, group.reply);
      cell(row, group.labels.map(describeLabel).join("; "), "label");
      row.addEventListener("click", () => {
        if (state.open && state.open.key !== group.key) {
          state.open = null;  // another group: the keys act on it, not on the open group's messages
          $("group-section").hidden = true;
        }
        select(index);
      });
      body.appendChild(row);
    });
    if (!state.groups.length) {
      const row = document.createElement("tr");
      const td = cell(row, "Nothing to review for these filters.");
      td.colSpan = 6;
      body.appendChild(row);
    }
  }

  async function openGroup() {
    const group = state.groups[state.selected];
    if (!group) return;
    const data = await api("GET", "/staff/api/group?" + new URLSearchParams({ key: group.key }).toString());
    const previous = state.open && state.open.key === group.key ? state.open.selected : 0;
    state.open = { key: group.key, items: data.items, selected: Math.min(previous, data.items.length - 1) };
    $("group-title").textContent = "The " + data.items.length + " messages of “" + group.text.slice(0, 80) + "”";
    $("group-section").hidden = false;
    renderMessages();
    selectMessage(state.open.selected);
  }

  function closeGroup() {
    state.open = null;
    $("group-section").hidden = true;
    select(state.selected);
  }

  function renderMessages() {
    const body = $("messages").querySelector("tbody");
    body.replaceChildren();
    state.open.items.forEach((item, index) => {
      const row = document.createElement("tr");
      row.tabIndex = -1;
      row.setAttribute("aria-selected", index === state.open.selected ? "true" : "false");
      cell(row, new Date(item.timestamp * 1000).toISOString().slice(0, 16).replace("T", " "));
      cell(row, item.text);
      cell(row, item.outcome.replace(/_/g, " ") + (item.clicked ? "; clicked " + item.clicked : ""));
      cell(row, guessText(item.guesses));
      cell(row, item.reply);
      cell(row, item.labels.map(describeLabel).join("; "), "label");
      row.addEventListener("click", () => selectMessage(index));
      body.appendChild(row);
    });
  }

  function selectMessage(index) {
    if (!state.open || !state.open.items.length) return;
    state.open.selected = Math.max(0, Math.min(state.open.items.length - 1, index));
    const rows = $("messages").querySelectorAll("tbody tr");
    rows.forEach((row, i) => row.setAttribute("aria-selected", i === state.open.selected ? "true" : "false"));
    rows[state.open.selected].focus();
  }

  // What the keys act on: the selected message of an open group, else the selected group.
  function current() {
    if (state.open) return state.open.items[state.open.selected];
    return state.groups[state.selected];
  }

  function select(index) {
    if (!state.groups.length) return;
    state.selected = Math.max(0, Math.min(state.groups.length - 1, index));
    const rows = $("inbox").querySelectorAll("tbody tr");
    rows.forEach((row, i) => row.setAttribute("aria-selected", i === state.selected ? "true" : "false"));
    rows[state.selected].focus();
  }

  async function label(kind, topic) {
    const chosen = current();
    if (!chosen) return;
    const body = state.open
      ? { item_id: chosen.id, label: kind, topic: topic }
      : { group_key: chosen.key, label: kind, topic: topic };
    try {
      const saved = await api("POST", "/staff/api/labels", body);
      state.lastLabelIds.push(saved.id);
      status("Labelled “" + chosen.text.slice(0, 60) + "” as " + describeLabel(saved) + ".");
      await refresh();
    } catch (error) {
      status("Not saved: " + error.message);
    }
  }

  // Reload after a change, keeping the selection (and the open group, which a label for one message keeps
  // listed).
  async function refresh() {
    const next = state.selected;
    await load();
    if (state.open) {
      const index = state.groups.findIndex((g) => g.key === state.open.key);
      if (index < 0) {
        closeGroup();  // no longer listed with these filters
        return;
      }
      state.selected = index;
      await openGroup();
    } else {
      select(next);
    }
  }

  async function undo() {
    const id = state.lastLabelIds.pop();
    if (id === undefined) {
      status("Nothing to undo.");
      return;
    }
    try {
      await api("POST", "/staff/api/labels/" + id + "/undo");
      status("Label taken back.");
      await refresh();
    } catch (error) {
      status("Not undone: " + error.message);
    }
  }

  function onKey(event) {
    if ($("inbox-section").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
    if (target && target.id === "topic-picker") {
      if (event.key === "Enter") {
        event.preventDefault();
        label("topic", target.value).then(() => (state.open ? selectMessage(state.open.selected) : select(state.selected)));
      } else if (event.key === "Escape") {
        if (state.open) selectMessage(state.open.selected);
        else select(state.selected);
      }
      return;
    }
    if (target && target.tagName === "SELECT") return;
    if (target && target.tagName === "BUTTON" && event.key === "Enter") return;
    const chosen = current();
    const move = (step) => (state.open ? selectMessage(state.open.selected + step) : select(state.selected + step));
    const keys = {
      j: () => move(1),
      ArrowDown: () => move(1),
      k: () => move(-1),
      ArrowUp: () => move(-1),
      Enter: () => { if (!state.open) openGroup().catch((error) => status("Not opened: " + error.message)); },
      Escape: () => { if (state.open) closeGroup(); },
      o: () => label("out_of_scope"),
      n: () => label("needs_content"),
      i: () => label("ignore"),
      u: () => undo(),
      t: () => $("topic-picker").focus(),
      "]": () => { if (state.open) closeGroup(); state.page += 1; load().then(() => select(0)); },
      "[": () => { if (state.open) closeGroup(); state.page = Math.max(1, state.page - 1); load().then(() => select(0)); },
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
      return;
    }
    if (chosen && /^[1-3]$/.test(event.key)) {
      const guess = chosen.guesses[Number(event.key) - 1];
      const topic = guess && topicForIntent(guess.intent);
      event.preventDefault();
      if (guess && guess.intent === "out_of_scope") label("out_of_scope");
      else if (topic) label("topic", topic.id);
      else status("Guess " + event.key + " is not an article topic.");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("POST", "/staff/api/login", { username: $("username").value, password: $("password").value });
        $("password").value = "";
        status("");
        await showInbox();
        select(0);
      } catch (error) {
        status("Login failed: " + error.message);
      }
    });
    $("logout").addEventListener("click", async () => {
      await api("POST", "/staff/api/logout").catch(() => null);
      showLogin();
    });
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      if (state.open) closeGroup();
      state.page = 1;
      load().then(() => select(0));
    });
    $("next").addEventListener("click", () => { state.page += 1; load(); });
    $("prev").addEventListener("click", () => { state.page = Math.max(1, state.page - 1); load(); });
    document.addEventListener("keydown", onKey);
    showInbox().catch(() => showLogin());
  });
})();
