// left4me chat card: new say / say_team lines and joins appear without a
// reload, as events of the page's one live stream (no polling).
"use strict";

(function () {
  const chat = document.getElementById("chat-lines");
  const joins = document.getElementById("join-lines");
  if (!chat || !joins) return;
  const news = document.getElementById("chat-news");

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function when(iso) {
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleTimeString();
  }
  function who(e) {
    const span = el("span", { class: "who" });
    if (e.steam_id) {
      span.append(el("a", { href: "/players?steamid=" + encodeURIComponent(e.steam_id) }, e.player || ""));
    } else {
      span.textContent = e.player || "";
    }
    return span;
  }
  function chatLine(e) {
    const li = el("li", { class: "ev-" + e.kind, "data-id": String(e.id) });
    li.append(el("time", { datetime: e.at, title: e.at }, when(e.at)), " ");
    if (e.kind === "team_chat") li.append(el("span", { class: "badge", title: "say_team" }, "team"), " ");
    li.append(who(e));
    if (e.team) li.append(" ", el("span", { class: "team" }, "(" + e.team + ")"));
    li.append(": ", el("span", { class: "text" }, e.text || ""));
    return li;
  }
  function joinLine(e) {
    const li = el("li", { class: "ev-" + e.kind, "data-id": String(e.id) });
    const what = e.kind === "connect" ? "connected" : e.kind === "entered" ? "entered the game" : "left" + (e.text ? " (" + e.text + ")" : "");
    li.append(el("time", { datetime: e.at, title: e.at }, when(e.at)), " ", who(e), " ", el("span", { class: "kind" }, what));
    return li;
  }
  // The page's one event stream (app.js opens it, with the cursors of
  // templates/instance_chat.html) carries new lines as "chat" and "join"
  // events; on a reconnect the browser sends the last one's id and the
  // server resumes after it.
  function add(list, make, announce) {
    return (ev) => {
      let e;
      try { e = JSON.parse(ev.data); } catch (err) { return; }
      list.querySelector("li.empty")?.remove();
      if (!list.querySelector('li[data-id="' + e.id + '"]')) list.prepend(make(e));
      list.dataset.after = String(Math.max(Number(list.dataset.after || 0), e.id));
      while (list.children.length > 200) list.lastElementChild.remove();
      if (announce) news.textContent = (e.player || "") + ": " + (e.text || "");
    };
  }
  const es = window.left4meLive;
  if (!es) return;
  es.addEventListener("chat", add(chat, chatLine, true));
  es.addEventListener("join", add(joins, joinLine, false));
})();
