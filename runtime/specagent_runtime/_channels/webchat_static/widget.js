/*
 * specagent web chat widget: one file, no build step, no dependencies.
 *
 * Put on the company's page (see snippet.html beside this file):
 *
 *   <script src="https://support.example.com/webchat/widget.js"
 *           data-endpoint="https://support.example.com"
 *           data-title="Acme support"
 *           data-token-url="/api/support-token"  (optional, see below)
 *           defer></script>
 *
 * or call `SpecagentWebchat.init({endpoint, title, token, tokenUrl, getToken})` yourself.
 *
 * Identity: for a signed-in customer the company's backend signs a short-lived HS256 JWT with
 * WEBCHAT_SIGNING_SECRET (claims sub, email?, customer_id?, aud "specagent-webchat", exp) and
 * the widget sends it as `Authorization: Bearer <token>`. Give it as `data-token` (rendered
 * into the page), `data-token-url` (a same-origin URL answering {"token": "..."}, fetched with
 * the page's cookies), or `getToken()` (a function returning a promise of the token). Without a
 * token the visitor is anonymous. The secret never reaches the browser.
 *
 * Protocol (the serve step implements it):
 *   POST {endpoint}/webchat/messages  {"conversation_id", "message_id", "text"}
 *                                  or {"conversation_id", "message_id", "confirmation": token}
 *   GET  {endpoint}/webchat/events?conversation_id=...&after=<seq>
 *        -> {"events": [{"seq", "type": "reply"|"confirmation"|"handoff", "text",
 *                        "options": [{"label", "token", "choice"}]}]}
 *
 * Every text from the server is shown with textContent, never as HTML.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "specagent-webchat-conversation";
  var POLL_MS = 1500;
  var FAST_POLL_MS = 400;

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function conversationId() {
    try {
      var known = window.sessionStorage.getItem(STORAGE_KEY);
      if (known && /^[A-Za-z0-9_-]{22,64}$/.test(known)) return known;
      var made = randomId();
      window.sessionStorage.setItem(STORAGE_KEY, made);
      return made;
    } catch (e) {
      return randomId(); // storage blocked: a conversation per page view
    }
  }

  var STYLE = [
    ":host { all: initial; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px;",
    "  border-radius: 50%; border: none; background: #1f6feb; color: #fff; font: 600 24px/56px",
    "  system-ui, sans-serif; cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.3); }",
    ".panel { position: fixed; right: 20px; bottom: 88px; width: 340px; max-width: calc(100vw - 40px);",
    "  height: 460px; max-height: calc(100vh - 120px); display: none; flex-direction: column;",
    "  background: #fff; border-radius: 12px; box-shadow: 0 4px 24px rgba(0,0,0,.25);",
    "  font: 14px/1.4 system-ui, sans-serif; color: #1b1f24; overflow: hidden; }",
    ".panel.open { display: flex; }",
    "header { padding: 12px 16px; background: #1f6feb; color: #fff; font-weight: 600; }",
    ".log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; }",
    ".msg { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap;",
    "  word-wrap: break-word; }",
    ".msg.customer { align-self: flex-end; background: #1f6feb; color: #fff; }",
    ".msg.agent { align-self: flex-start; background: #eef1f5; }",
    ".msg.notice { align-self: center; background: none; color: #57606a; font-size: 12px; }",
    ".choices { display: flex; gap: 8px; margin-top: 8px; }",
    ".choices button { padding: 6px 14px; border-radius: 8px; border: 1px solid #1f6feb;",
    "  background: #fff; color: #1f6feb; cursor: pointer; font: inherit; }",
    ".choices button[data-choice=yes] { background: #1f6feb; color: #fff; }",
    ".choices button:disabled { opacity: .5; cursor: default; }",
    "form { display: flex; border-top: 1px solid #d0d7de; }",
    "textarea { flex: 1; border: none; padding: 10px 12px; resize: none; font: inherit; height: 44px; }",
    "form button { border: none; background: none; color: #1f6feb; font-weight: 600; padding: 0 14px;",
    "  cursor: pointer; }"
  ].join("\n");

  function Widget(options) {
    this.endpoint = String(options.endpoint || "").replace(/\/+$/, "");
    this.title = options.title || "Support";
    this.staticToken = options.token || null;
    this.tokenUrl = options.tokenUrl || null;
    this.getTokenOption = typeof options.getToken === "function" ? options.getToken : null;
    this.conversation = conversationId();
    this.after = 0;
    this.pollTimer = null;
    this.polling = false;
    this.build();
  }

  Widget.prototype.build = function () {
    var host = document.createElement("div");
    host.setAttribute("data-specagent-webchat", "");
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = STYLE;
    root.appendChild(style);

    this.launcher = document.createElement("button");
    this.launcher.className = "launcher";
    this.launcher.type = "button";
    this.launcher.setAttribute("aria-label", "Open the support chat");
    this.launcher.textContent = "?";
    root.appendChild(this.launcher);

    this.panel = document.createElement("section");
    this.panel.className = "panel";
    this.panel.setAttribute("role", "dialog");
    this.panel.setAttribute("aria-label", this.title);
    var header = document.createElement("header");
    header.textContent = this.title;
    this.log = document.createElement("div");
    this.log.className = "log";
    this.log.setAttribute("aria-live", "polite");
    this.form = document.createElement("form");
    this.input = document.createElement("textarea");
    this.input.setAttribute("aria-label", "Your message");
    this.input.placeholder = "Write a message";
    this.input.maxLength = 4000;
    var send = document.createElement("button");
    send.type = "submit";
    send.textContent = "Send";
    this.form.appendChild(this.input);
    this.form.appendChild(send);
    this.panel.appendChild(header);
    this.panel.appendChild(this.log);
    this.panel.appendChild(this.form);
    root.appendChild(this.panel);
    document.body.appendChild(host);

    var self = this;
    this.launcher.addEventListener("click", function () { self.toggle(); });
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.sendText();
    });
    this.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        self.sendText();
      }
    });
  };

  Widget.prototype.toggle = function () {
    var open = !this.panel.classList.contains("open");
    this.panel.classList.toggle("open", open);
    if (open) {
      this.input.focus();
      this.schedulePoll(0);
    } else if (this.pollTimer) {
      clearTimeout(this.pollTimer);
      this.pollTimer = null;
    }
  };

  Widget.prototype.token = function () {
    if (this.getTokenOption) return Promise.resolve(this.getTokenOption());
    if (this.staticToken) return Promise.resolve(this.staticToken);
    if (!this.tokenUrl) return Promise.resolve(null);
    return fetch(this.tokenUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { return data && typeof data.token === "string" ? data.token : null; })
      .catch(function () { return null; });
  };

  Widget.prototype.request = function (method, path, body) {
    var self = this;
    return this.token().then(function (token) {
      var headers = { "Accept": "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (token) headers["Authorization"] = "Bearer " + token;
      return fetch(self.endpoint + path, {
        method: method,
        headers: headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        mode: "cors"
      });
    });
  };

  Widget.prototype.show = function (kind, text) {
    var item = document.createElement("div");
    item.className = "msg " + kind;
    item.textContent = text;
    this.log.appendChild(item);
    this.log.scrollTop = this.log.scrollHeight;
    return item;
  };

  Widget.prototype.sendText = function () {
    var text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.show("customer", text);
    this.post({ conversation_id: this.conversation, message_id: randomId(), text: text });
  };

  Widget.prototype.confirm = function (option, buttons) {
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    this.show("customer", option.label);
    this.post({ conversation_id: this.conversation, message_id: randomId(), confirmation: option.token });
  };

  Widget.prototype.post = function (body) {
    var self = this;
    this.request("POST", "/webchat/messages", body)
      .then(function (response) {
        if (!response.ok) self.show("notice", "The message could not be sent (" + response.status + ").");
        self.schedulePoll(FAST_POLL_MS);
      })
      .catch(function () { self.show("notice", "The message could not be sent. Check your connection."); });
  };

  Widget.prototype.schedulePoll = function (delay) {
    var self = this;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(function () { self.poll(); }, delay);
  };

  Widget.prototype.poll = function () {
    var self = this;
    if (this.polling) return;
    this.polling = true;
    var path = "/webchat/events?conversation_id=" + encodeURIComponent(this.conversation) +
      "&after=" + encodeURIComponent(String(this.after));
    this.request("GET", path)
      .then(function (response) { return response.ok ? response.json() : { events: [] }; })
      .then(function (data) { (data.events || []).forEach(function (e) { self.render(e); }); })
      .catch(function () { /* offline: try again later */ })
      .then(function () {
        self.polling = false;
        if (self.panel.classList.contains("open")) self.schedulePoll(POLL_MS);
      });
  };

  Widget.prototype.render = function (event) {
    if (typeof event.seq !== "number" || event.seq <= this.after) return;
    this.after = event.seq;
    if (event.type === "reply") {
      this.show("agent", String(event.text || ""));
    } else if (event.type === "confirmation") {
      var item = this.show("agent", String(event.text || ""));
      var choices = document.createElement("div");
      choices.className = "choices";
      var buttons = [];
      var self = this;
      (event.options || []).forEach(function (option) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = String(option.label || option.choice);
        button.setAttribute("data-choice", option.choice === "yes" ? "yes" : "no");
        button.addEventListener("click", function () { self.confirm(option, buttons); });
        buttons.push(button);
        choices.appendChild(button);
      });
      item.appendChild(choices);
    } else if (event.type === "handoff") {
      if (event.text) this.show("agent", String(event.text));
      this.show("notice", "A person from our team will take over.");
    }
  };

  function fromScript() {
    var script = document.currentScript;
    if (!script || !script.hasAttribute("data-endpoint")) return null; // "" = this origin
    return {
      endpoint: script.getAttribute("data-endpoint"),
      title: script.getAttribute("data-title"),
      token: script.getAttribute("data-token"),
      tokenUrl: script.getAttribute("data-token-url")
    };
  }

  var api = {
    widget: null,
    init: function (options) {
      if (api.widget) return api.widget;
      var start = function () { api.widget = new Widget(options || {}); };
      if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
      return api.widget;
    }
  };
  window.SpecagentWebchat = api;
  var configured = fromScript();
  if (configured) api.init(configured);
})();
