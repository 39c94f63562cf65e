// The phone simulator without reloads: replies by fetch, the chat polled while it is active.
// Without this script the page works the same by form posts.
(function () {
  "use strict";
  var form = document.getElementById("reply");
  var chat = document.getElementById("chat");
  var box = document.getElementById("reply-text");
  var status = document.getElementById("chat-status");
  if (!form || !chat || !box) return;
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function shown() {
    var ids = {};
    chat.querySelectorAll("li[data-id]").forEach(function (li) { ids[li.dataset.id] = true; });
    return ids;
  }

  function span(className, text) {
    var element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  }

  // A long text as the server draws it (_long_text.html): its start, "…" and "Show all".
  function longText(m) {
    var details = document.createElement("details");
    details.className = "long-text";
    var summary = document.createElement("summary");
    summary.append(span("long-head", m.preview + "…"), " ", span("long-more", m.more),
      span("long-less", "Show less"));
    details.append(summary, span("long-all", m.text));
    return details;
  }

  function bubble(m) {
    var li = document.createElement("li");
    li.className = "bubble " + (m.from === "citizen" ? "mine" : "bot");
    li.dataset.id = m.id;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = m.from === "citizen" ? "You: " : "smsbot: ";
    var body = document.createElement("div");
    body.className = "body";
    if (m.preview) body.appendChild(longText(m)); else body.textContent = m.text;
    li.appendChild(who);
    li.appendChild(body);
    if (m.segments) {
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = m.segments + " SMS · " + m.encoding;
      li.appendChild(meta);
    }
    return li;
  }

  function show(data) {
    var have = shown();
    var empty = chat.querySelector(".empty");
    (data.messages || []).forEach(function (m) {
      if (!have[m.id]) {
        if (empty) { empty.remove(); empty = null; }
        chat.appendChild(bubble(m));
      }
    });
    if (data.status) {
      chat.dataset.status = data.status;
      status.textContent = "Conversation: ";
      var strong = document.createElement("strong");
      strong.textContent = data.status;
      status.appendChild(strong);
    }
    chat.lastElementChild && chat.lastElementChild.scrollIntoView({ block: "nearest" });
  }

  function poll() {
    fetch("/ui/simulator/chat", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () {});
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = box.value;
    if (!text.trim()) return;
    box.value = "";
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token, Accept: "application/json" },
      body: new URLSearchParams({ text: text })
    })
      .then(function (r) { return r.json(); })
      .then(show)
      .catch(function () { box.value = text; })
      .finally(function () { box.focus(); });
  });

  setInterval(function () { if (chat.dataset.status === "active") poll(); }, 1500);
})();
