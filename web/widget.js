/*!
 * Pain FAQ chat widget: a small, dependency-free chat window for a Rasa assistant (REST channel).
 *
 * Embed with one tag:
 *   <script src="https://example.org/widget.js" data-server-url="https://bot.example.org" defer></script>
 * or configure from code:
 *   window.PainFaqWidget.init({ serverUrl: "https://bot.example.org", title: "…", colors: { primary: "#0f5e6e" } });
 *
 * Security rules this file keeps (tests/browser proves them):
 *   - everything that comes from the server, the user or storage is put in the page with textContent /
 *     createElement, never as HTML (no innerHTML, insertAdjacentHTML, document.write);
 *   - links are made only from absolute http: / https: URLs, open in a new tab with rel="noopener noreferrer";
 *   - button payloads are only ever sent back to the server as message text, never opened or evaluated.
 */
(function () {
  "use strict";

  if (window.PainFaqWidget && window.PainFaqWidget.version) {
    return; // loaded twice: keep the first copy
  }

  var VERSION = "1.0.0";
  var SCRIPT = document.currentScript;
  var STORAGE_VERSION = 1;
  var SAFETY_LEVELS = {
    emergency: "Urgent: get help now",
    same_day: "Get medical advice today",
    check: "Please check these warning signs",
    crisis: "You don't have to face this alone",
  };
  var DEFAULTS = {
    serverUrl: "http://localhost:5005",
    webhookPath: "/webhooks/rest/webhook",
    title: "Anxiety & back pain questions",
    subtitle: "Answers from one Hinge Health article",
    launcherLabel: "Ask a question",
    inputLabel: "Your question",
    placeholder: "Ask about anxiety and back pain…",
    greeting:
      "Hi! I answer questions about anxiety and back pain using one Hinge Health article, and I show its sources. What would you like to know?",
    starters: [
      { title: "Can anxiety cause back pain?", payload: "/faq_can_anxiety_cause_back_pain" },
      { title: "How can I relieve back pain caused by anxiety?", payload: "/faq_relief_overview" },
      { title: "How can I tell if my back pain is related to anxiety?", payload: "/faq_signs" },
    ],
    disclaimer:
      "General education, not medical advice. In an emergency, call your local emergency number.",
    colors: {},
    position: "right",
    stylesheet: null, // null: widget.css next to widget.js; false: the page loads the CSS itself
    storageKey: "painfaq-widget",
    requestTimeoutMs: 30000,
    // A message whose server could not be reached or restarted (no answer, 502, 503, 504) is sent again with
    // the same X-Request-ID, for this long, before the error is shown; the server answers a repeat once.
    retryForMs: 12000,
    maxHistory: 200,
    // The server reads up to 8,000 characters (credentials.yml max_message_chars): a long story that asks last
    // must reach it whole, so the field does not cut it short.
    maxMessageLength: 8000,
    openOnLoad: false,
  };
  var COLOR_VARS = {
    primary: "--pfw-primary",
    onPrimary: "--pfw-on-primary",
    primaryDark: "--pfw-primary-dark",
    background: "--pfw-bg",
    text: "--pfw-text",
    link: "--pfw-link",
    focus: "--pfw-focus",
  };

  var instanceCount = 0;
  var current = null;

  // ---------------------------------------------------------------- small safe helpers

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function asText(value, maxLength) {
    var text = typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
    return maxLength && text.length > maxLength ? text.slice(0, maxLength) : text;
  }

  /** Creates an element; `text` is set with textContent, attrs with setAttribute (fixed names only). */
  function el(tag, className, text, attrs) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null && text !== "") node.textContent = text;
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        node.setAttribute(name, attrs[name]);
      });
    }
    return node;
  }

  function visuallyHidden(text) {
    return el("span", "pfw-visually-hidden", text);
  }

  /** The URL as an absolute http(s) URL string, or null. Relative, javascript:, data: etc. give null. */
  function safeHttpUrl(raw) {
    if (typeof raw !== "string") return null;
    var candidate = raw.trim();
    if (!candidate || candidate.length > 2048 || /[\u0000-\u001f\u007f\s]/.test(candidate)) return null;
    if (!/^https?:\/\//i.test(candidate)) return null;
    var url;
    try {
      url = new URL(candidate);
    } catch (e) {
      return null;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    if (!url.hostname || url.username || url.password) return null;
    return url.href;
  }

  function makeLink(href, text, className) {
    var a = el("a", className || "pfw-link", text);
    a.href = href;
    if (a.protocol !== "https:" && a.protocol !== "http:") return el("span", null, text); // belt and braces
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.referrerPolicy = "no-referrer";
    a.appendChild(visuallyHidden(" (opens in a new tab)"));
    return a;
  }

  var URL_IN_TEXT = /https?:\/\/[^\s<>"`]+/gi;
  var TRAILING_PUNCTUATION = /[.,;:!?'\u2019\u201d]$/;

  /** Trims sentence punctuation and unbalanced closing brackets from the end of a URL found in text. */
  function trimUrl(candidate) {
    var url = candidate;
    for (;;) {
      var last = url.charAt(url.length - 1);
      if (TRAILING_PUNCTUATION.test(last)) {
        url = url.slice(0, -1);
        continue;
      }
      var pairs = { ")": "(", "]": "[", "}": "{" };
      if (pairs[last]) {
        var opens = url.split(pairs[last]).length - 1;
        var closes = url.split(last).length - 1;
        if (closes > opens) {
          url = url.slice(0, -1);
          continue;
        }
      }
      return url;
    }
  }

  /** Appends `text` to `parent` as text nodes, with http(s) URLs turned into links. */
  function appendLinkified(parent, text) {
    var position = 0;
    var match;
    URL_IN_TEXT.lastIndex = 0;
    while ((match = URL_IN_TEXT.exec(text)) !== null) {
      var raw = trimUrl(match[0]);
      var href = safeHttpUrl(raw);
      if (!href) continue;
      if (match.index > position) parent.appendChild(document.createTextNode(text.slice(position, match.index)));
      parent.appendChild(makeLink(href, raw));
      position = match.index + raw.length;
      URL_IN_TEXT.lastIndex = position;
    }
    if (position < text.length) parent.appendChild(document.createTextNode(text.slice(position)));
  }

  /** Multi-line text: lines starting with a bullet become a list, other lines paragraphs. */
  function renderRichText(text) {
    var fragment = document.createDocumentFragment();
    var list = null;
    text.split(/\r?\n/).forEach(function (line) {
      var bullet = /^\s*[\u2022\-*]\s+/.exec(line);
      if (bullet) {
        if (!list) {
          list = el("ul", "pfw-list");
          fragment.appendChild(list);
        }
        var item = el("li");
        appendLinkified(item, line.slice(bullet[0].length));
        list.appendChild(item);
        return;
      }
      list = null;
      if (!line.trim()) return;
      var paragraph = el("p", "pfw-p");
      appendLinkified(paragraph, line);
      fragment.appendChild(paragraph);
    });
    return fragment;
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // RFC 4122 version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function newSenderId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      try {
        return window.crypto.randomUUID();
      } catch (e) {
        /* not a secure context: fall through */
      }
    }
    return randomId();
  }

  var SENDER_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  // ---------------------------------------------------------------- reply normalisation

  function normalizeButtons(buttons) {
    if (!Array.isArray(buttons)) return [];
    var out = [];
    buttons.slice(0, 12).forEach(function (button) {
      if (!isObject(button)) return;
      var title = asText(button.title, 300);
      var payload = asText(button.payload, 1000);
      if (!title && !payload) return;
      out.push({ title: title || payload, payload: payload || title });
    });
    return out;
  }

  function normalizeAnswer(custom) {
    var citations = [];
    if (Array.isArray(custom.citations)) {
      custom.citations.slice(0, 30).forEach(function (c) {
        if (!isObject(c)) return;
        var label = asText(c.label, 600);
        var url = asText(c.url, 2048);
        if (label || url) citations.push({ label: label, url: url });
      });
    }
    return {
      role: "bot",
      kind: "answer",
      question: asText(custom.question, 300),
      lead: asText(custom.lead, 1000),
      passage: asText(custom.passage, 8000),
      citations: citations,
      disclaimer: asText(custom.disclaimer, 1000),
      buttons: normalizeButtons(custom.suggestions),
    };
  }

  /** "Was this helpful?" with its buttons, attached to the answer it rates; null if it has no buttons. */
  function normalizeFeedback(feedback) {
    if (!isObject(feedback)) return null;
    var buttons = normalizeButtons(feedback.buttons).slice(0, 4);
    if (!buttons.length) return null;
    var clean = { prompt: asText(feedback.prompt, 200) || "Was this helpful?", buttons: buttons };
    if (feedback.used === true) {
      clean.used = true;
      clean.chosen = typeof feedback.chosen === "number" ? feedback.chosen : -1;
    }
    return clean;
  }

  /** Is `entry` (a text message) the plain-text twin of `answer` (its custom payload)? */
  function isTextTwin(entry, answer) {
    if (!entry || entry.kind !== "text") return false;
    var needles = [];
    if (answer.passage) needles.push(answer.passage.slice(0, 60));
    if (answer.lead) needles.push(answer.lead.slice(0, 60));
    answer.citations.forEach(function (c) {
      if (c.url) needles.push(c.url);
    });
    return (
      needles.length > 0 &&
      needles.every(function (needle) {
        return entry.text.indexOf(needle) !== -1;
      })
    );
  }

  /** Turns the list of messages the REST channel returns into transcript entries. */
  function normalizeReply(messages) {
    var out = [];
    if (!Array.isArray(messages)) return out;
    messages.slice(0, 50).forEach(function (message, index) {
      if (!isObject(message)) return;
      var previous = out.length ? out[out.length - 1] : null;
      var previousIsTwin = previous && previous.sourceIndex === index - 1;
      if (isObject(message.custom)) {
        var custom = message.custom;
        if (custom.type === "answer") {
          var answer = normalizeAnswer(custom);
          if (!answer.passage && !answer.lead && !answer.citations.length) return;
          if (previousIsTwin && isTextTwin(previous, answer)) {
            out.pop();
            if (!answer.buttons.length) answer.buttons = previous.buttons;
          }
          answer.sourceIndex = index;
          out.push(answer);
        } else if (custom.type === "feedback_prompt") {
          // "Was this helpful?" follows an answer: show it as a small row under that answer, not as a
          // bubble of its own. Its text twin (text + buttons) came just before this payload.
          var twin = previousIsTwin && previous.kind === "text" ? previous : null;
          var rated = out[out.length - (twin ? 2 : 1)];
          // A warning-sign note may stand between the answer and its prompt: the prompt rates the answer.
          if (rated && rated.note) rated = out[out.length - (twin ? 3 : 2)];
          var feedback = normalizeFeedback({
            prompt: twin ? twin.text : custom.prompt,
            buttons: twin && twin.buttons.length ? twin.buttons : custom.buttons,
          });
          if (rated && rated.kind === "answer" && feedback) {
            if (twin) out.pop();
            rated.feedback = feedback;
          }
        } else if (custom.type === "safety") {
          var level = Object.prototype.hasOwnProperty.call(SAFETY_LEVELS, custom.level) ? custom.level : "emergency";
          if (previousIsTwin && previous.kind === "text") {
            previous.safety = level;
          } else if (asText(custom.text)) {
            out.push({ role: "bot", kind: "text", text: asText(custom.text, 4000), buttons: [], safety: level });
          }
        } else if (custom.type === "warning_note") {
          // The warning signs under an answer (a red flag was only suspected): its text twin came just before.
          if (previousIsTwin && previous.kind === "text") previous.note = true;
        }
        // Other custom payloads (did_you_mean, out_of_scope, handoff, …) only tag the text beside them.
        return;
      }
      var text = asText(message.text, 8000);
      var buttons = normalizeButtons(message.buttons || message.quick_replies);
      if (!text.trim() && !buttons.length) return;
      out.push({ role: "bot", kind: "text", text: text, buttons: buttons, sourceIndex: index });
    });
    out.forEach(function (entry) {
      delete entry.sourceIndex;
    });
    return out;
  }

  // ---------------------------------------------------------------- storage

  function makeStore(key) {
    var memory = null;
    var storage = null;
    try {
      storage = window.localStorage;
      var probe = key + ":probe";
      storage.setItem(probe, "1");
      storage.removeItem(probe);
    } catch (e) {
      storage = null; // blocked storage: the conversation lasts as long as the page
    }
    return {
      key: key,
      load: function () {
        if (!storage) return memory;
        try {
          var data = JSON.parse(storage.getItem(key) || "null");
          return isObject(data) && data.v === STORAGE_VERSION ? data : null;
        } catch (e) {
          return null;
        }
      },
      save: function (data) {
        memory = data;
        if (!storage) return;
        try {
          storage.setItem(key, JSON.stringify(data));
        } catch (e) {
          /* quota: keep going in memory */
        }
      },
    };
  }

  function sanitizeStoredEntry(entry) {
    if (!isObject(entry)) return null;
    if (entry.role === "user") return { role: "user", text: asText(entry.text, 2000) };
    if (entry.role !== "bot") return null;
    var clean;
    if (entry.kind === "answer") {
      clean = normalizeAnswer({
        question: entry.question,
        lead: entry.lead,
        passage: entry.passage,
        citations: entry.citations,
        disclaimer: entry.disclaimer,
        suggestions: entry.buttons,
      });
      var feedback = normalizeFeedback(entry.feedback);
      if (feedback) clean.feedback = feedback;
    } else if (entry.kind === "text" || entry.kind === "notice") {
      clean = { role: "bot", kind: entry.kind, text: asText(entry.text, 8000), buttons: normalizeButtons(entry.buttons) };
      if (Object.prototype.hasOwnProperty.call(SAFETY_LEVELS, entry.safety)) clean.safety = entry.safety;
    } else {
      return null;
    }
    if (entry.used === true) {
      clean.used = true;
      clean.chosen = typeof entry.chosen === "number" ? entry.chosen : -1;
    }
    return clean;
  }

  // ---------------------------------------------------------------- configuration

  function configFromScript(script) {
    if (!script || !script.dataset) return {};
    var d = script.dataset;
    var config = {};
    var map = {
      serverUrl: "serverUrl",
      webhookUrl: "webhookUrl",
      title: "title",
      subtitle: "subtitle",
      launcherLabel: "launcherLabel",
      greeting: "greeting",
      disclaimer: "disclaimer",
      position: "position",
      stylesheet: "stylesheet",
      storageKey: "storageKey",
    };
    Object.keys(map).forEach(function (name) {
      if (d[map[name]] !== undefined) config[name] = d[map[name]];
    });
    if (d.stylesheet === "false") config.stylesheet = false;
    if (d.openOnLoad !== undefined) config.openOnLoad = d.openOnLoad !== "false";
    var colors = {};
    Object.keys(COLOR_VARS).forEach(function (name) {
      var attr = name + "Color"; // data-primary-color -> dataset.primaryColor
      if (d[attr] !== undefined) colors[name] = d[attr];
    });
    if (Object.keys(colors).length) config.colors = colors;
    return config;
  }

  function mergeConfig() {
    var config = {};
    Object.keys(DEFAULTS).forEach(function (k) {
      config[k] = DEFAULTS[k];
    });
    var colors = {};
    for (var i = 0; i < arguments.length; i++) {
      var source = arguments[i];
      if (!isObject(source)) continue;
      Object.keys(source).forEach(function (k) {
        if (k === "colors" && isObject(source.colors)) {
          Object.keys(source.colors).forEach(function (c) {
            colors[c] = source.colors[c];
          });
        } else if (Object.prototype.hasOwnProperty.call(DEFAULTS, k) || k === "webhookUrl" || k === "container") {
          config[k] = source[k];
        }
      });
    }
    config.colors = colors;
    return config;
  }

  function webhookUrlFor(config) {
    var raw = config.webhookUrl || String(config.serverUrl || "").replace(/\/+$/, "") + config.webhookPath;
    var url = safeHttpUrl(raw);
    if (!url) throw new Error("PainFaqWidget: serverUrl must be an absolute http(s) URL");
    return url;
  }

  function defaultStylesheetUrl() {
    if (!SCRIPT || !SCRIPT.src) return null;
    try {
      return new URL("widget.css", SCRIPT.src).href;
    } catch (e) {
      return null;
    }
  }

  function ensureStylesheet(config) {
    if (config.stylesheet === false) return;
    var href = config.stylesheet || defaultStylesheetUrl();
    if (!href) return;
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      if (links[i].href === new URL(href, document.baseURI).href) return;
    }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    link.setAttribute("data-pfw-stylesheet", "");
    document.head.appendChild(link);
  }

  function applyColors(root, colors) {
    Object.keys(colors).forEach(function (name) {
      var value = asText(colors[name], 100);
      if (!COLOR_VARS[name] || !value) return;
      if (window.CSS && CSS.supports && !CSS.supports("color", value)) return;
      root.style.setProperty(COLOR_VARS[name], value); // CSSOM: allowed by a CSP without 'unsafe-inline'
    });
  }

  // ---------------------------------------------------------------- icons (static markup, built with DOM calls)

  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M3 11.5L21 3l-8.5 18-2-7.5z",
    alert: "M12 3l10 18H2zM12 10v5M12 18v.01",
  };

  function icon(name, className) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "pfw-icon " + (className || ""));
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  // ---------------------------------------------------------------- the widget

  function Widget(config) {
    this.config = config;
    this.webhookUrl = webhookUrlFor(config);
    this.idPrefix = "pfw" + ++instanceCount;
    this.store = makeStore(config.storageKey + ":v" + STORAGE_VERSION + ":" + this.webhookUrl);
    this.busy = false;
    this.failedMessage = null;
    this.loadState();
    this.build();
    this.renderAll();
    if (this.state.open || config.openOnLoad) this.open({ focus: false });
  }

  Widget.prototype.loadState = function (persist) {
    var stored = this.store.load();
    var state = { v: STORAGE_VERSION, senderId: null, entries: [], open: false };
    if (stored) {
      if (typeof stored.senderId === "string" && SENDER_ID_PATTERN.test(stored.senderId)) state.senderId = stored.senderId;
      if (Array.isArray(stored.entries)) {
        state.entries = stored.entries.map(sanitizeStoredEntry).filter(Boolean);
      }
      state.open = stored.open === true;
    }
    if (!state.senderId) {
      state.senderId = newSenderId();
      state.entries = [];
    }
    if (!state.entries.length) state.entries.push(this.greetingEntry());
    this.state = state;
    if (persist !== false) this.save();
  };

  Widget.prototype.greetingEntry = function () {
    return { role: "bot", kind: "text", text: asText(this.config.greeting, 2000), buttons: normalizeButtons(this.config.starters) };
  };

  Widget.prototype.save = function () {
    var max = Math.max(10, Number(this.config.maxHistory) || DEFAULTS.maxHistory);
    if (this.state.entries.length > max) this.state.entries = this.state.entries.slice(-max);
    this.store.save(this.state);
  };

  Widget.prototype.build = function () {
    var self = this;
    var c = this.config;
    var id = function (name) {
      return self.idPrefix + "-" + name;
    };

    var root = el("div", "pfw-root pfw-pos-" + (c.position === "left" ? "left" : "right"));
    root.setAttribute("data-pfw-version", VERSION);
    applyColors(root, c.colors);

    var launcher = el("button", "pfw-launcher", null, {
      type: "button",
      "aria-expanded": "false",
      "aria-controls": id("panel"),
    });
    launcher.appendChild(icon("chat", "pfw-icon-open"));
    launcher.appendChild(icon("close", "pfw-icon-close"));
    launcher.appendChild(el("span", "pfw-launcher-label", asText(c.launcherLabel, 80)));

    var panel = el("section", "pfw-panel", null, { id: id("panel"), role: "dialog", "aria-labelledby": id("title") });
    panel.hidden = true;

    var header = el("div", "pfw-header");
    var heading = el("div", "pfw-heading");
    heading.appendChild(el("h2", "pfw-title", asText(c.title, 120), { id: id("title") }));
    if (c.subtitle) heading.appendChild(el("p", "pfw-subtitle", asText(c.subtitle, 160)));
    header.appendChild(heading);
    var restart = el("button", "pfw-restart", "Start over", { type: "button" });
    restart.appendChild(visuallyHidden(" (clears this conversation)"));
    var close = el("button", "pfw-close", null, { type: "button", "aria-label": "Close chat" });
    close.appendChild(icon("close"));
    header.appendChild(restart);
    header.appendChild(close);

    var log = el("div", "pfw-log", null, {
      id: id("log"),
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": "Conversation",
      tabindex: "0",
    });

    var typing = el("div", "pfw-typing", null, { role: "status" });
    typing.hidden = true;
    var dots = el("span", "pfw-dots", null, { "aria-hidden": "true" });
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    dots.appendChild(el("span"));
    typing.appendChild(dots);
    typing.appendChild(visuallyHidden("The assistant is typing…"));

    var error = el("div", "pfw-error", null, { role: "alert" });
    error.hidden = true;
    var errorText = el("p", "pfw-error-text");
    var retry = el("button", "pfw-retry", "Retry", { type: "button" });
    error.appendChild(icon("alert"));
    error.appendChild(errorText);
    error.appendChild(retry);

    var form = el("form", "pfw-form", null, { novalidate: "" });
    var label = el("label", "pfw-visually-hidden", asText(c.inputLabel, 80), { for: id("input") });
    var input = el("input", "pfw-input", null, {
      id: id("input"),
      type: "text",
      autocomplete: "off",
      enterkeyhint: "send",
      maxlength: String(c.maxMessageLength),
      placeholder: asText(c.placeholder, 120),
      "aria-describedby": id("disclaimer"),
    });
    var send = el("button", "pfw-send", null, { type: "submit" });
    send.appendChild(icon("send"));
    send.appendChild(visuallyHidden("Send"));
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);

    var disclaimer = el("p", "pfw-disclaimer", asText(c.disclaimer, 400), { id: id("disclaimer") });

    panel.appendChild(header);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(error);
    panel.appendChild(form);
    panel.appendChild(disclaimer);
    root.appendChild(panel);
    root.appendChild(launcher);

    launcher.addEventListener("click", function () {
      if (self.isOpen()) self.close();
      else self.open();
    });
    close.addEventListener("click", function () {
      self.close();
    });
    restart.addEventListener("click", function () {
      self.restart();
    });
    retry.addEventListener("click", function () {
      self.retry();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submitInput();
    });
    root.addEventListener("keydown", function (event) {
      if ((event.key === "Escape" || event.key === "Esc") && self.isOpen()) {
        event.preventDefault();
        self.close();
      } else if (event.key === "Tab" && self.isOpen() && self.isFullScreen()) {
        self.wrapFocus(event);
      }
    });

    this.dom = {
      root: root,
      launcher: launcher,
      panel: panel,
      log: log,
      typing: typing,
      error: error,
      errorText: errorText,
      input: input,
      send: send,
    };
    var container = c.container && c.container.appendChild ? c.container : document.body;
    container.appendChild(root);

    // Another tab of the same site changed the conversation: show the same transcript here.
    this.onStorage = function (event) {
      if (event.key !== self.store.key || self.busy) return;
      var open = self.state.open;
      self.loadState(false);
      self.state.open = open;
      self.renderAll();
    };
    window.addEventListener("storage", this.onStorage);
  };

  Widget.prototype.isOpen = function () {
    return !this.dom.panel.hidden;
  };

  var FULL_SCREEN_QUERY = "(max-width: 480px), (max-height: 520px)"; // keep in step with widget.css

  Widget.prototype.isFullScreen = function () {
    return !!(window.matchMedia && window.matchMedia(FULL_SCREEN_QUERY).matches);
  };

  /** On a phone the panel covers the page: Tab cycles inside it instead of reaching hidden page links. */
  Widget.prototype.wrapFocus = function (event) {
    var focusable = Array.prototype.filter.call(
      this.dom.panel.querySelectorAll("button, input, a[href], [tabindex='0']"),
      function (node) {
        return !node.disabled && node.getClientRects().length > 0;
      }
    );
    if (!focusable.length) return;
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    var active = document.activeElement;
    if (event.shiftKey && (active === first || !this.dom.panel.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !this.dom.panel.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  };

  Widget.prototype.open = function (options) {
    var focus = !options || options.focus !== false;
    this.dom.panel.hidden = false;
    this.dom.root.classList.add("pfw-is-open");
    this.dom.launcher.setAttribute("aria-expanded", "true");
    this.state.open = true;
    this.save();
    this.scrollToEnd();
    if (focus) this.dom.input.focus();
  };

  Widget.prototype.close = function (options) {
    var returnFocus = !options || options.returnFocus !== false;
    this.dom.panel.hidden = true;
    this.dom.root.classList.remove("pfw-is-open");
    this.dom.launcher.setAttribute("aria-expanded", "false");
    this.state.open = false;
    this.save();
    if (returnFocus) this.dom.launcher.focus();
  };

  Widget.prototype.restart = function () {
    if (this.busy) return;
    this.state = { v: STORAGE_VERSION, senderId: newSenderId(), entries: [this.greetingEntry()], open: this.isOpen() };
    this.failedMessage = null;
    this.dom.error.hidden = true;
    this.save();
    this.renderAll();
    this.dom.input.focus();
  };

  Widget.prototype.renderAll = function () {
    var log = this.dom.log;
    while (log.firstChild) log.removeChild(log.firstChild);
    var self = this;
    this.state.entries.forEach(function (entry) {
      log.appendChild(self.renderEntry(entry, false));
    });
  };

  Widget.prototype.scrollToEnd = function () {
    this.dom.log.scrollTop = this.dom.log.scrollHeight;
  };

  /** Adds entries to the transcript and shows them; a long reply is scrolled to its start. */
  Widget.prototype.append = function (entries, fresh) {
    var self = this;
    var first = null;
    entries.forEach(function (entry) {
      self.state.entries.push(entry);
      var node = self.renderEntry(entry, fresh);
      self.dom.log.appendChild(node);
      if (!first) first = node;
    });
    this.save();
    var log = this.dom.log;
    if (first && entries[0].role === "bot" && log.scrollHeight - first.offsetTop > log.clientHeight) {
      // A reply taller than the transcript: show its start (and the question it answers, if that fits).
      var top = first.offsetTop;
      var asked = first.previousElementSibling;
      if (asked && asked.classList.contains("pfw-msg--user") && top - asked.offsetTop < log.clientHeight / 3) {
        top = asked.offsetTop;
      }
      log.scrollTop = Math.max(0, top - 12);
    } else {
      this.scrollToEnd();
    }
  };

  Widget.prototype.renderEntry = function (entry, fresh) {
    var wrapper = el("div", "pfw-msg pfw-msg--" + entry.role);
    if (entry.role === "user") {
      var userBubble = el("div", "pfw-bubble");
      userBubble.appendChild(visuallyHidden("You: "));
      userBubble.appendChild(document.createTextNode(entry.text));
      wrapper.appendChild(userBubble);
      return wrapper;
    }
    var bubble = el("div", "pfw-bubble");
    bubble.appendChild(visuallyHidden("Assistant: "));
    if (entry.kind === "answer") {
      wrapper.classList.add("pfw-msg--answer");
      this.renderAnswer(bubble, entry);
    } else {
      if (entry.kind === "notice") wrapper.classList.add("pfw-msg--notice");
      if (entry.safety) {
        wrapper.classList.add("pfw-msg--safety", "pfw-level-" + entry.safety);
        if (fresh) bubble.setAttribute("role", "alert");
        var badge = el("p", "pfw-safety-badge");
        badge.appendChild(icon("alert"));
        badge.appendChild(document.createTextNode(SAFETY_LEVELS[entry.safety]));
        bubble.appendChild(badge);
      }
      bubble.appendChild(renderRichText(entry.text));
    }
    wrapper.appendChild(bubble);
    if (entry.buttons && entry.buttons.length) wrapper.appendChild(this.renderButtons(entry));
    if (entry.kind === "answer" && entry.feedback) wrapper.appendChild(this.renderFeedback(entry.feedback));
    return wrapper;
  };

  Widget.prototype.renderAnswer = function (bubble, entry) {
    if (entry.question) bubble.appendChild(el("p", "pfw-answer-question", entry.question));
    if (entry.lead) bubble.appendChild(renderRichText(entry.lead));
    if (entry.passage) bubble.appendChild(renderRichText(entry.passage));
    if (entry.citations.length) {
      var sources = el("div", "pfw-sources");
      sources.appendChild(el("p", "pfw-sources-title", "Sources"));
      var list = el("ul", "pfw-sources-list");
      entry.citations.forEach(function (citation) {
        var item = el("li");
        var href = safeHttpUrl(citation.url);
        var label = citation.label || citation.url;
        if (href) {
          item.appendChild(makeLink(href, label, "pfw-link pfw-source-link"));
          item.appendChild(el("span", "pfw-source-host", new URL(href).hostname.replace(/^www\./, "")));
        } else {
          item.appendChild(el("span", "pfw-source-label", label));
        }
        list.appendChild(item);
      });
      sources.appendChild(list);
      bubble.appendChild(sources);
    }
    if (entry.disclaimer) bubble.appendChild(el("p", "pfw-answer-disclaimer", entry.disclaimer));
  };

  Widget.prototype.renderButtons = function (entry) {
    var self = this;
    var group = el("div", "pfw-quick", null, { role: "group", "aria-label": "Suggested questions" });
    var buttons = entry.buttons.map(function (button, index) {
      var node = el("button", "pfw-quick-btn", button.title, { type: "button" });
      if (entry.used) {
        node.disabled = true;
        if (entry.chosen === index) node.classList.add("pfw-chosen");
      }
      node.addEventListener("click", function (event) {
        if (entry.used || self.busy) return;
        entry.used = true;
        entry.chosen = index;
        buttons.forEach(function (b) {
          b.disabled = true;
        });
        node.classList.add("pfw-chosen");
        // The button is now disabled and loses focus: keyboard users continue in the input. (A tap does
        // not move focus there, so a phone keyboard does not pop up over the answer.)
        if (event.detail === 0) self.dom.input.focus();
        else self.dom.log.focus({ preventScroll: true });
        self.sendMessage(button.payload, button.title);
      });
      group.appendChild(node);
      return node;
    });
    if (entry.used) group.classList.add("pfw-used");
    return group;
  };

  /** "Was this helpful? [Yes] [No]" under an answer; a click sends the button's payload once. */
  Widget.prototype.renderFeedback = function (feedback) {
    var self = this;
    var group = el("div", "pfw-feedback", null, { role: "group", "aria-label": feedback.prompt });
    group.appendChild(el("span", "pfw-feedback-prompt", feedback.prompt, { "aria-hidden": "true" }));
    var buttons = feedback.buttons.map(function (button, index) {
      var node = el("button", "pfw-quick-btn pfw-feedback-btn", button.title, { type: "button" });
      if (feedback.used) {
        node.disabled = true;
        if (feedback.chosen === index) node.classList.add("pfw-chosen");
      }
      node.addEventListener("click", function (event) {
        if (feedback.used || self.busy) return;
        feedback.used = true;
        feedback.chosen = index;
        buttons.forEach(function (b) {
          b.disabled = true;
        });
        node.classList.add("pfw-chosen");
        if (event.detail === 0) self.dom.input.focus();
        else self.dom.log.focus({ preventScroll: true });
        self.sendMessage(button.payload, feedback.prompt + " " + button.title);
      });
      group.appendChild(node);
      return node;
    });
    if (feedback.used) group.classList.add("pfw-used");
    return group;
  };

  Widget.prototype.submitInput = function () {
    var text = this.dom.input.value.trim();
    if (!text || this.busy) return;
    this.dom.input.value = "";
    this.sendMessage(text, text);
  };

  Widget.prototype.sendMessage = function (message, shownText) {
    if (this.busy) return;
    this.dom.error.hidden = true;
    var limit = this.config.maxMessageLength;
    this.append([{ role: "user", text: asText(shownText, limit) || message }], true);
    this.deliver(String(message).slice(0, limit));
  };

  Widget.prototype.retry = function () {
    if (this.busy || this.failedMessage === null) return;
    this.dom.input.focus();
    // The same id: if the first attempt reached the assistant after all, it answers from what it stored.
    this.deliver(this.failedMessage, this.failedRequestId);
  };

  Widget.prototype.setBusy = function (busy) {
    this.busy = busy;
    this.dom.typing.hidden = !busy;
    this.dom.root.classList.toggle("pfw-is-busy", busy);
    this.dom.send.setAttribute("aria-disabled", busy ? "true" : "false");
    if (busy) this.scrollToEnd();
  };

  function newRequestId() {
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  // No answer at all, or the server said it is restarting or unreachable behind its proxy.
  function worthRetrying(err) {
    if (!err) return false;
    if (err.status) return err.status === 502 || err.status === 503 || err.status === 504;
    return err.name !== "AbortError";
  }

  Widget.prototype.deliver = function (message, requestId) {
    var self = this;
    requestId = requestId || newRequestId();
    this.failedMessage = null;
    this.dom.error.hidden = true;
    this.setBusy(true);
    var started = Date.now();
    var retryFor = Number(this.config.retryForMs);
    if (!(retryFor >= 0)) retryFor = DEFAULTS.retryForMs;
    var timeoutMs = Number(this.config.requestTimeoutMs) || DEFAULTS.requestTimeoutMs;

    function attempt(number) {
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      var timer = setTimeout(function () {
        if (controller) controller.abort();
      }, timeoutMs);
      fetch(self.webhookUrl, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
        headers: { "Content-Type": "application/json", "X-Request-ID": requestId },
        body: JSON.stringify({ sender: self.state.senderId, message: message }),
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) {
            var err = new Error("HTTP " + response.status);
            err.status = response.status;
            throw err;
          }
          return response.json();
        })
        .then(function (data) {
          clearTimeout(timer);
          self.setBusy(false);
          var entries = normalizeReply(data);
          if (!entries.length) {
            entries = [{ role: "bot", kind: "notice", text: "The assistant had no answer to that. Try asking another way.", buttons: [] }];
          }
          self.append(entries, true);
        })
        .catch(function (err) {
          clearTimeout(timer);
          var wait = Math.min(500 * Math.pow(2, number), 3000);
          if (worthRetrying(err) && Date.now() - started + wait <= retryFor) {
            setTimeout(function () {
              attempt(number + 1);
            }, wait);
            return;
          }
          self.setBusy(false);
          self.failedMessage = message;
          self.failedRequestId = requestId;
          var text;
          if (err && err.status) {
            text = "The assistant had a problem answering (error " + err.status + "). Please try again.";
          } else if (err && err.name === "AbortError") {
            text = "The assistant is taking too long to answer. Please try again.";
          } else {
            text = "Can't reach the assistant right now. Check your connection and try again.";
          }
          self.dom.errorText.textContent = text;
          self.dom.error.hidden = false;
          self.scrollToEnd();
        });
    }
    attempt(0);
  };

  Widget.prototype.destroy = function () {
    window.removeEventListener("storage", this.onStorage);
    if (this.dom.root.parentNode) this.dom.root.parentNode.removeChild(this.dom.root);
  };

  // ---------------------------------------------------------------- public API

  var api = {
    open: function () {
      if (current) current.open();
    },
    close: function () {
      if (current) current.close();
    },
    send: function (text) {
      if (current) current.sendMessage(String(text), String(text));
    },
    destroy: function () {
      if (current) current.destroy();
      current = null;
    },
  };

  function init(options) {
    if (!document.body) {
      // Called from a script in <head> before the page is parsed: build once there is a <body>.
      document.addEventListener("DOMContentLoaded", function () {
        init(options);
      });
      return api;
    }
    var config = mergeConfig(window.PainFaqWidgetConfig, configFromScript(SCRIPT), options);
    if (current) current.destroy();
    ensureStylesheet(config);
    current = new Widget(config);
    return api;
  }

  window.PainFaqWidget = {
    version: VERSION,
    init: init,
    // Exposed for tests and for sites that render replies elsewhere.
    _internal: { safeHttpUrl: safeHttpUrl, normalizeReply: normalizeReply, trimUrl: trimUrl },
  };

  var autoInit =
    (SCRIPT && SCRIPT.dataset && SCRIPT.dataset.autoInit !== "false" && (SCRIPT.dataset.serverUrl || window.PainFaqWidgetConfig)) ||
    (!SCRIPT && window.PainFaqWidgetConfig);
  if (autoInit) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () {
        init();
      });
    } else {
      init();
    }
  }
})();
