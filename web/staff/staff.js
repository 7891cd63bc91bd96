// Review inbox for support staff (painfaq/staff/web.py serves its API). Keyboard-first; every text from
// users is put in the page with textContent, never as HTML.
(function () {
  "use strict";

  const state = { csrf: null, topics: [], groups: [], selected: 0, page: 1, lastLabelIds: [] };
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
    if (label.label === "topic") {
      const topic = state.topics.find((t) => t.id === label.topic);
      return "topic: " + (topic ? topic.title : label.topic) + " (" + label.labelled_by + ")";
    }
    return label.label.replace(/_/g, " ") + " (" + label.labelled_by + ")";
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
      cell(row, group.guesses.map((g, i) => (i + 1) + ". " + g.intent + " " + g.confidence.toFixed(2)).join("\n"));
      cell(row, group.reply);
      cell(row, group.labels.map(describeLabel).join("; "), "label");
      row.addEventListener("click", () => select(index));
      body.appendChild(row);
    });
    if (!state.groups.length) {
      const row = document.createElement("tr");
      const td = cell(row, "Nothing to review for these filters.");
      td.colSpan = 6;
      body.appendChild(row);
    }
  }

  function select(index) {
    if (!state.groups.length) return;
    state.selected = Math.max(0, Math.min(state.groups.length - 1, index));
    const rows = $("inbox").querySelectorAll("tbody tr");
    rows.forEach((row, i) => row.setAttribute("aria-selected", i === state.selected ? "true" : "false"));
    rows[state.selected].focus();
  }

  async function label(kind, topic) {
    const group = state.groups[state.selected];
    if (!group) return;
    try {
      const saved = await api("POST", "/staff/api/labels", { group_key: group.key, label: kind, topic: topic });
      state.lastLabelIds.push(saved.id);
      status("Labelled “" + group.text.slice(0, 60) + "” as " + describeLabel(saved) + ".");
      const next = state.selected;
      await load();
      select(next);
    } catch (error) {
      status("Not saved: " + error.message);
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
      await load();
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
        label("topic", target.value).then(() => select(state.selected));
      } else if (event.key === "Escape") {
        select(state.selected);
      }
      return;
    }
    if (target && target.tagName === "SELECT") return;
    const group = state.groups[state.selected];
    const keys = {
      j: () => select(state.selected + 1),
      ArrowDown: () => select(state.selected + 1),
      k: () => select(state.selected - 1),
      ArrowUp: () => select(state.selected - 1),
      o: () => label("out_of_scope"),
      n: () => label("needs_content"),
      i: () => label("ignore"),
      u: () => undo(),
      t: () => $("topic-picker").focus(),
      "]": () => { state.page += 1; load().then(() => select(0)); },
      "[": () => { state.page = Math.max(1, state.page - 1); load().then(() => select(0)); },
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
      return;
    }
    if (group && /^[1-3]$/.test(event.key)) {
      const guess = group.guesses[Number(event.key) - 1];
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
      state.page = 1;
      load().then(() => select(0));
    });
    $("next").addEventListener("click", () => { state.page += 1; load(); });
    $("prev").addEventListener("click", () => { state.page = Math.max(1, state.page - 1); load(); });
    document.addEventListener("keydown", onKey);
    showInbox().catch(() => showLogin());
  });
})();
