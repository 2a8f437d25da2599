/*
 * The trial pre-screening chat widget.
 *
 * One script tag embeds it where the tag stands:
 *
 *   <script src="https://WIDGET-HOST/widget.js" data-server="https://RASA-HOST" defer></script>
 *
 * It loads its stylesheet and the socket.io client from the same place as this file
 * (served locally by channels.widget; no CDN), and talks to Rasa's socket.io channel
 * (credentials.yml `socketio:` with session_persistence). Plain DOM, no framework:
 * every message is inserted as text (never HTML), quick replies are real buttons,
 * the conversation log is an ARIA live region, and the session id and the visible
 * conversation are kept in localStorage for a while so that a reload continues.
 * When the person deletes their answers in the chat, the confirmation comes with a
 * marker (a bot_uttered event {"erased": true}): the widget then forgets its copy
 * too (the stored messages and session id), removes the earlier messages from the
 * page and talks under a new session id.
 *
 * Optional attributes on the script tag:
 *   data-title      heading of the widget
 *   data-privacy    URL of the privacy notice (default: privacy.html beside this file)
 *   data-keep-minutes  how long a quiet conversation is kept in this browser (120)
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    return;
  }
  var base = new URL(".", script.src).href;
  var server = script.getAttribute("data-server") || new URL(script.src).origin;
  var title = script.getAttribute("data-title") || "Liver study: can I take part?";
  var privacyUrl = script.getAttribute("data-privacy") || base + "privacy.html";
  var keepMinutes = parseInt(script.getAttribute("data-keep-minutes") || "120", 10);
  var storageKey = "trial-chat:v1:" + server;
  var MAX_KEPT = 200;
  var GREETING = "Hello";
  var RESTART = "Start over";

  // ---------------------------------------------------------------- storage

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(storageKey) || "null");
      if (saved && saved.sessionId && Date.now() - saved.savedAt < keepMinutes * 60000) {
        return saved;
      }
    } catch (error) {
      /* storage unavailable or corrupt: start afresh */
    }
    return null;
  }

  function newSessionId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID().replace(/-/g, "");
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); })
      .join("");
  }

  function fresh() {
    return { sessionId: newSessionId(), messages: [], replies: [] };
  }

  var state = load() || fresh();

  function save() {
    state.savedAt = Date.now();
    state.messages = state.messages.slice(-MAX_KEPT);
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(state));
    } catch (error) {
      /* private mode: the conversation still works, it just is not kept */
    }
  }

  function forgetStored() {
    try {
      window.localStorage.removeItem(storageKey);
    } catch (error) {
      /* storage unavailable: nothing was kept */
    }
  }

  // -------------------------------------------------------------------- DOM

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var css = el("link");
  css.rel = "stylesheet";
  css.href = base + "widget.css";
  document.head.appendChild(css);

  var uid = "tcw-" + Math.random().toString(36).slice(2, 8);
  var root = el("section", "tcw");
  root.setAttribute("aria-labelledby", uid + "-title");

  var header = el("div", "tcw-header");
  var heading = el("h2", "tcw-title", title);
  heading.id = uid + "-title";
  var restart = el("button", "tcw-button tcw-restart", "Start over");
  restart.type = "button";
  header.appendChild(heading);
  header.appendChild(restart);

  var notice = el("p", "tcw-notice");
  notice.appendChild(
    document.createTextNode(
      "An automated helper, not a doctor. It does not give medical advice. "
    )
  );
  var privacy = el("a", "tcw-link", "Privacy notice");
  privacy.href = privacyUrl;
  notice.appendChild(privacy);

  var log = el("div", "tcw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.setAttribute("aria-label", "Conversation");
  log.tabIndex = 0;

  var typing = el("p", "tcw-typing");
  typing.hidden = true;
  typing.appendChild(el("span", "tcw-dots"));
  typing.appendChild(document.createTextNode("The assistant is typing"));
  typing.setAttribute("aria-hidden", "true");

  var replies = el("div", "tcw-replies");
  replies.setAttribute("role", "group");
  replies.setAttribute("aria-label", "Quick replies");
  replies.hidden = true;

  var form = el("form", "tcw-form");
  var label = el("label", "tcw-label", "Your message");
  label.htmlFor = uid + "-input";
  var input = el("input", "tcw-input");
  input.id = uid + "-input";
  input.type = "text";
  input.autocomplete = "off";
  input.maxLength = 1000;
  input.setAttribute("enterkeyhint", "send");
  var send = el("button", "tcw-button tcw-send", "Send");
  send.type = "submit";
  var row = el("div", "tcw-row");
  row.appendChild(input);
  row.appendChild(send);
  form.appendChild(label);
  form.appendChild(row);

  var status = el("p", "tcw-status");
  status.setAttribute("role", "status");

  var confirm = el("dialog", "tcw-dialog");
  confirm.setAttribute("aria-labelledby", uid + "-confirm");
  var question = el("p", "tcw-dialog-text", "Start over? Your answers so far will be cleared.");
  question.id = uid + "-confirm";
  var yes = el("button", "tcw-button tcw-primary", "Yes, start over");
  yes.type = "button";
  var no = el("button", "tcw-button", "Cancel");
  no.type = "button";
  var choices = el("div", "tcw-dialog-buttons");
  choices.appendChild(yes);
  choices.appendChild(no);
  confirm.appendChild(question);
  confirm.appendChild(choices);

  [header, notice, log, typing, replies, form, status, confirm].forEach(function (n) {
    root.appendChild(n);
  });
  script.parentNode.insertBefore(root, script);

  // ---------------------------------------------------------- conversation

  // The log follows new messages, and stays at the bottom when the page is resized
  // or zoomed, unless the person scrolled up to read.
  var atBottom = true;
  log.addEventListener("scroll", function () {
    atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 8;
  });
  window.addEventListener("resize", function () {
    if (atBottom) log.scrollTop = log.scrollHeight;
  });

  // The first of the assistant's messages since the person last spoke (the answer
  // being received), or null.
  var turnStart = null;

  function show(from, text) {
    var bubble = el("div", "tcw-msg tcw-msg-" + from);
    bubble.appendChild(el("span", "tcw-sr", from === "bot" ? "Assistant: " : "You: "));
    bubble.appendChild(document.createTextNode(text));
    log.appendChild(bubble);
    if (from !== "bot") {
      turnStart = null;
    } else if (turnStart === null) {
      turnStart = bubble;
    }
    log.scrollTop = log.scrollHeight;
    atBottom = true;
  }

  function showReplies(list) {
    var hadFocus = replies.contains(document.activeElement);
    replies.textContent = "";
    (list || []).forEach(function (reply) {
      var button = el("button", "tcw-button tcw-reply", reply.title);
      button.type = "button";
      button.addEventListener("click", function () {
        say(reply.payload || reply.title, reply.title);
        input.focus();
      });
      replies.appendChild(button);
    });
    replies.hidden = !list || list.length === 0;
    if (hadFocus && replies.hidden) input.focus();
  }

  var typingTimer = null;
  function setTyping(on, after) {
    window.clearTimeout(typingTimer);
    if (on) {
      typing.hidden = false;
      typingTimer = window.setTimeout(function () { typing.hidden = true; }, 30000);
    } else {
      typingTimer = window.setTimeout(function () { typing.hidden = true; }, after || 0);
    }
  }

  var socket = null;

  function say(payload, shown) {
    var text = (payload || "").trim();
    if (!text) return;
    if (shown !== null) {
      show("user", shown || text);
      state.messages.push({ from: "user", text: shown || text });
    }
    state.replies = [];
    showReplies([]);
    save();
    setTyping(true);
    socket.emit("user_uttered", { message: text, session_id: state.sessionId });
  }

  // The person's answers were deleted on the server: forget this browser's copy.
  // Only the confirmation (the assistant's messages of this turn, already shown and
  // announced) stays on the page; nothing is kept in storage; the next message
  // starts a new conversation under a new session id.
  var forgotten = {};

  function forget() {
    forgotten[state.sessionId] = true;
    while (log.firstChild && log.firstChild !== turnStart) {
      log.removeChild(log.firstChild);
    }
    state = fresh();
    state.greeted = true; // the confirmation says how to start again
    forgetStored();
    showReplies([]);
    setTyping(false, 0); // the confirmation ends the turn
    if (socket) {
      socket.emit("session_request", { session_id: state.sessionId });
    }
  }

  function received(message) {
    if (message && message.erased === true) forget();
    if (!message || typeof message.text !== "string") return;
    var quick = (message.quick_replies || message.buttons || []).map(function (r) {
      return { title: String(r.title), payload: String(r.payload || r.title) };
    });
    show("bot", message.text);
    state.messages.push({ from: "bot", text: message.text });
    if (quick.length) {
      state.replies = quick;
      showReplies(quick);
    }
    save();
    // Rasa sends a turn as several messages: hide the indicator when they stop.
    setTyping(false, quick.length ? 0 : 700);
  }

  // Restore what this browser kept.
  state.messages.forEach(function (m) { show(m.from, m.text); });
  showReplies(state.replies);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    say(text);
    input.focus();
  });

  restart.addEventListener("click", function () {
    if (typeof confirm.showModal === "function") {
      confirm.showModal();
      no.focus();
    } else if (window.confirm("Start over? Your answers so far will be cleared.")) {
      say(RESTART);
    }
  });
  yes.addEventListener("click", function () {
    confirm.close();
    say(RESTART);
    input.focus();
  });
  no.addEventListener("click", function () {
    confirm.close();
    restart.focus();
  });

  // ------------------------------------------------------------ connection

  function connect() {
    status.textContent = "Connecting…";
    socket = window.io(server, { path: "/socket.io", withCredentials: false });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (id) {
      status.textContent = "";
      root.setAttribute("data-ready", "true");
      if (id && typeof id === "string" && !forgotten[id]) state.sessionId = id;
      if (state.messages.length === 0 && !state.greeted) {
        state.greeted = true;
        say(GREETING, null);
      }
    });
    socket.on("bot_uttered", received);
    socket.on("disconnect", function () {
      root.removeAttribute("data-ready");
      status.textContent = "Connection lost. Trying again…";
    });
    socket.on("connect_error", function () {
      status.textContent = "Cannot reach the assistant just now. Trying again…";
    });
  }

  if (window.io) {
    connect();
  } else {
    var loader = el("script");
    loader.src = base + "vendor/socket.io.min.js";
    loader.onload = connect;
    loader.onerror = function () {
      status.textContent = "The chat could not load. Please try again later.";
    };
    document.head.appendChild(loader);
  }
})();
