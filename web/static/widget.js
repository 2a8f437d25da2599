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
 * Two languages, English and Simplified Chinese: a 中文 / English switch in the
 * header (two buttons, aria-pressed on the one in force, each with its lang). The
 * start language is the page URL's ?lang=zh|en, else the script tag's data-lang, else
 * the page's own <html lang> (a hint only), else English. The language is kept with
 * the session in localStorage and sent with every message as metadata: once chosen
 * (the switch, ?lang, data-lang) as {"language": "zh"}, before that as
 * {"language_hint": "en"}, so that Chinese typed on the English page is answered
 * in Chinese. Switching mid-conversation sends the request "中文" / "English" as
 * the person's message: the assistant reads it by rule and asks the pending
 * question again in that language (an empty message would be read as an answer).
 * When the server says the conversation's language changed (a bot_uttered event
 * {"language": "zh"}, after a typed "请说中文" or Chinese written without a
 * choice), the widget follows. Every label of the widget exists in both languages.
 *
 * Optional attributes on the script tag:
 *   data-title      heading of the widget in English (data-title-zh: in Chinese)
 *   data-privacy    URL of the privacy notice (default: privacy.html beside this
 *                   file, with ?lang=zh in Chinese; data-privacy-zh: in Chinese)
 *   data-lang       the start language, "zh" or "en" (the page URL's ?lang= wins)
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
  var keepMinutes = parseInt(script.getAttribute("data-keep-minutes") || "120", 10);
  var storageKey = "trial-chat:v1:" + server;
  var MAX_KEPT = 200;

  // ------------------------------------------------------------- languages

  // Everything the widget itself says. "greeting", "restart" and "request" are
  // sent to the assistant: words it reads as a greeting, "start over" and a
  // request for the language.
  var TEXTS = {
    en: {
      lang: "en",
      name: "English",
      title: "Liver study: can I take part?",
      languages: "Language",
      restart: "Start over",
      notice: "An automated helper, not a doctor. It does not give medical advice. ",
      privacy: "Privacy notice",
      log: "Conversation",
      typing: "The assistant is typing",
      replies: "Quick replies",
      label: "Your message",
      placeholder: "Type your answer here",
      send: "Send",
      question: "Start over? Your answers so far will be cleared.",
      yes: "Yes, start over",
      no: "Cancel",
      assistant: "Assistant: ",
      you: "You: ",
      connecting: "Connecting…",
      lost: "Connection lost. Trying again…",
      unreachable: "Cannot reach the assistant just now. Trying again…",
      failed: "The chat could not load. Please try again later.",
      greeting: "Hello",
      request: "English"
    },
    zh: {
      lang: "zh-CN",
      name: "中文",
      title: "肝病研究：我能参加吗？",
      languages: "语言",
      restart: "重新开始",
      notice: "这是自动问答助手，不是医生，不提供医疗建议。",
      privacy: "隐私说明",
      log: "对话记录",
      typing: "助手正在输入",
      replies: "快捷回复",
      label: "您的消息",
      placeholder: "请在这里输入您的回答",
      send: "发送",
      question: "要重新开始吗？您已经填的回答会被清除。",
      yes: "是的，重新开始",
      no: "取消",
      assistant: "助手：",
      you: "您：",
      connecting: "正在连接…",
      lost: "连接断了，正在重新连接…",
      unreachable: "暂时连不上助手，正在重试…",
      failed: "聊天窗口没能打开，请稍后再试。",
      greeting: "你好",
      request: "中文"
    }
  };
  var LANGUAGES = ["zh", "en"];

  // "zh", "en", or null for anything else ("zh-CN", "zh_Hans", "EN-us" included).
  function normalize(value) {
    var code = String(value || "").trim().toLowerCase().replace(/_/g, "-");
    var primary = code.split("-")[0];
    return primary === "zh" || primary === "en" ? primary : null;
  }

  // The language this page asks for: the URL's ?lang=, else data-lang.
  function pageChoice() {
    var fromUrl = null;
    try {
      fromUrl = normalize(new URL(window.location.href).searchParams.get("lang"));
    } catch (error) {
      /* an unusual URL: no choice there */
    }
    return fromUrl || normalize(script.getAttribute("data-lang"));
  }

  function attribute(name, language) {
    return (
      script.getAttribute(name + "-" + language) ||
      (language === "en" ? script.getAttribute(name) : null)
    );
  }

  function privacyLink(language) {
    var given = attribute("data-privacy", language) || script.getAttribute("data-privacy");
    if (given) return given;
    return base + "privacy.html" + (language === "en" ? "" : "?lang=" + language);
  }

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

  // language: the conversation's ("zh" or "en"); chosen: whether it was chosen
  // (sent as the choice) or is the page's default (sent as a hint).
  function fresh(language, chosen) {
    return {
      sessionId: newSessionId(),
      messages: [],
      replies: [],
      language: language,
      chosen: chosen
    };
  }

  // The page's ask (?lang, data-lang) is kept with the conversation: only a page
  // asking for another language than the page before (a link to ?lang=zh from the
  // English page) changes the conversation's; reloading the same address does not
  // undo a switch made in the widget since.
  var asked = pageChoice();
  var state = load();
  // A kept conversation whose language the page now asks to change: the request
  // is sent once connected.
  var pendingSwitch = null;
  if (!state) {
    state = fresh(
      asked || normalize(document.documentElement.lang) || "en",
      asked !== null
    );
    state.asked = asked;
  } else {
    if (!normalize(state.language)) {
      state.language = asked || "en";
      state.chosen = asked !== null;
    }
    var before = state.asked === undefined ? null : state.asked;
    if (asked && asked !== before && asked !== state.language) {
      state.language = asked;
      state.chosen = true;
      if (state.messages.length || state.greeted) pendingSwitch = asked;
    } else if (asked && asked !== before) {
      state.chosen = true;
    }
    if (asked !== before) {
      state.asked = asked;
      save(true);
    }
  }
  function t(key) {
    return TEXTS[state.language][key];
  }

  // keepTime: store a change without counting it as activity (the conversation
  // is kept for keepMinutes after the person's last message, not the last visit).
  function save(keepTime) {
    if (!keepTime || !state.savedAt) state.savedAt = Date.now();
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
  var heading = el("h2", "tcw-title");
  heading.id = uid + "-title";
  var tools = el("div", "tcw-tools");
  // The language switch: one button per language, the one in force pressed. Each
  // is labelled in its own language (lang), so a screen reader says it rightly.
  var switcher = el("div", "tcw-langs");
  switcher.setAttribute("role", "group");
  var switches = {};
  LANGUAGES.forEach(function (language) {
    var button = el("button", "tcw-button tcw-lang", TEXTS[language].name);
    button.type = "button";
    button.lang = TEXTS[language].lang;
    button.setAttribute("data-lang", language);
    button.addEventListener("click", function () {
      choose(language);
    });
    switches[language] = button;
    switcher.appendChild(button);
  });
  var restart = el("button", "tcw-button tcw-restart");
  restart.type = "button";
  tools.appendChild(switcher);
  tools.appendChild(restart);
  header.appendChild(heading);
  header.appendChild(tools);

  var notice = el("p", "tcw-notice");
  var noticeText = document.createTextNode("");
  notice.appendChild(noticeText);
  var privacy = el("a", "tcw-link");
  notice.appendChild(privacy);

  var log = el("div", "tcw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-relevant", "additions");
  log.tabIndex = 0;

  var typing = el("p", "tcw-typing");
  typing.hidden = true;
  typing.appendChild(el("span", "tcw-dots"));
  var typingText = document.createTextNode("");
  typing.appendChild(typingText);
  typing.setAttribute("aria-hidden", "true");

  var replies = el("div", "tcw-replies");
  replies.setAttribute("role", "group");
  replies.hidden = true;

  var form = el("form", "tcw-form");
  var label = el("label", "tcw-label");
  label.htmlFor = uid + "-input";
  var input = el("input", "tcw-input");
  input.id = uid + "-input";
  input.type = "text";
  input.autocomplete = "off";
  input.maxLength = 1000;
  input.setAttribute("enterkeyhint", "send");
  var send = el("button", "tcw-button tcw-send");
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
  var question = el("p", "tcw-dialog-text");
  question.id = uid + "-confirm";
  var yes = el("button", "tcw-button tcw-primary");
  yes.type = "button";
  var no = el("button", "tcw-button");
  no.type = "button";
  var choices = el("div", "tcw-dialog-buttons");
  choices.appendChild(yes);
  choices.appendChild(no);
  confirm.appendChild(question);
  confirm.appendChild(choices);

  [header, notice, log, typing, replies, form, status, confirm].forEach(function (n) {
    root.appendChild(n);
  });

  // The status line's current message, by key, so that it follows the language.
  var statusKey = null;
  function setStatus(key) {
    statusKey = key;
    status.textContent = key ? t(key) : "";
  }

  // Every label in the conversation's language; the widget's lang attribute too
  // (the messages in the log keep the lang they were written in).
  function relabel() {
    var language = state.language;
    root.lang = t("lang");
    heading.textContent = attribute("data-title", language) || t("title");
    switcher.setAttribute("aria-label", t("languages"));
    LANGUAGES.forEach(function (code) {
      switches[code].setAttribute("aria-pressed", code === language ? "true" : "false");
    });
    restart.textContent = t("restart");
    noticeText.nodeValue = t("notice");
    privacy.textContent = t("privacy");
    privacy.href = privacyLink(language);
    log.setAttribute("aria-label", t("log"));
    typingText.nodeValue = t("typing");
    replies.setAttribute("aria-label", t("replies"));
    label.textContent = t("label");
    input.placeholder = t("placeholder");
    send.textContent = t("send");
    question.textContent = t("question");
    yes.textContent = t("yes");
    no.textContent = t("no");
    if (statusKey) status.textContent = t(statusKey);
  }
  relabel();
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

  function show(from, text, language) {
    var bubble = el("div", "tcw-msg tcw-msg-" + from);
    bubble.lang = TEXTS[language || state.language].lang;
    bubble.appendChild(el("span", "tcw-sr", t(from === "bot" ? "assistant" : "you")));
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

  // The language as the server reads it: the choice, or only a hint.
  function languageMetadata() {
    return state.chosen ? { language: state.language } : { language_hint: state.language };
  }

  function say(payload, shown) {
    var text = (payload || "").trim();
    if (!text) return;
    if (shown !== null) {
      show("user", shown || text);
      state.messages.push({ from: "user", text: shown || text, lang: state.language });
    }
    state.replies = [];
    showReplies([]);
    save();
    setTyping(true);
    socket.emit("user_uttered", {
      message: text,
      session_id: state.sessionId,
      metadata: languageMetadata()
    });
  }

  function started() {
    return state.messages.length > 0 || state.greeted;
  }

  // The switch: a new language for the labels, and, once the conversation has
  // begun, the request that the assistant carry on in it.
  function choose(language) {
    if (language === state.language && state.chosen) return;
    var changed = language !== state.language;
    state.language = language;
    state.chosen = true;
    relabel();
    save();
    if (!changed || !started()) return;
    if (socket && socket.connected) {
      pendingSwitch = null;
      say(t("request"));
    } else {
      pendingSwitch = language; // asked for once connected
    }
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
    state = fresh(state.language, state.chosen);
    state.asked = asked;
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
    // The conversation's language changed (the person asked, or wrote Chinese
    // before choosing): follow it, as the choice from now on.
    var language = message ? normalize(message.language) : null;
    if (language && typeof message.text !== "string") {
      state.language = language;
      state.chosen = true;
      relabel();
      save();
    }
    if (!message || typeof message.text !== "string") return;
    var quick = (message.quick_replies || message.buttons || []).map(function (r) {
      return { title: String(r.title), payload: String(r.payload || r.title) };
    });
    show("bot", message.text);
    state.messages.push({ from: "bot", text: message.text, lang: state.language });
    if (quick.length) {
      state.replies = quick;
      showReplies(quick);
    }
    save();
    // Rasa sends a turn as several messages: hide the indicator when they stop.
    setTyping(false, quick.length ? 0 : 700);
  }

  // Restore what this browser kept.
  state.messages.forEach(function (m) { show(m.from, m.text, normalize(m.lang)); });
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
    } else if (window.confirm(t("question"))) {
      say(t("restart"));
    }
  });
  yes.addEventListener("click", function () {
    confirm.close();
    say(t("restart"));
    input.focus();
  });
  no.addEventListener("click", function () {
    confirm.close();
    restart.focus();
  });

  // ------------------------------------------------------------ connection

  function connect() {
    setStatus("connecting");
    socket = window.io(server, { path: "/socket.io", withCredentials: false });
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (id) {
      setStatus(null);
      root.setAttribute("data-ready", "true");
      if (id && typeof id === "string" && !forgotten[id]) state.sessionId = id;
      if (state.messages.length === 0 && !state.greeted) {
        state.greeted = true;
        pendingSwitch = null;
        say(t("greeting"), null);
      } else if (pendingSwitch) {
        pendingSwitch = null;
        say(t("request"));
      }
    });
    socket.on("bot_uttered", received);
    socket.on("disconnect", function () {
      root.removeAttribute("data-ready");
      setStatus("lost");
    });
    socket.on("connect_error", function () {
      setStatus("unreachable");
    });
  }

  if (window.io) {
    connect();
  } else {
    var loader = el("script");
    loader.src = base + "vendor/socket.io.min.js";
    loader.onload = connect;
    loader.onerror = function () {
      setStatus("failed");
    };
    document.head.appendChild(loader);
  }
})();
