// left4me chat card: new say / say_team lines and joins appear without a
// reload, polled from the events API as the Events card does.
"use strict";

(function () {
  const chat = document.getElementById("chat-lines");
  const joins = document.getElementById("join-lines");
  if (!chat || !joins) return;
  const api = "/api/v1/instances/" + encodeURIComponent(chat.dataset.instance);
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
  async function poll(list, kinds, make, announce) {
    const after = Number(list.dataset.after || 0);
    const r = await fetch(api + "/events?after=" + after + "&kind=" + kinds, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!r.ok) return;
    const d = await r.json();
    if (!d.events.length) return;
    list.querySelector("li.empty")?.remove();
    for (const e of d.events) {
      if (!list.querySelector('li[data-id="' + e.id + '"]')) list.prepend(make(e));
      list.dataset.after = String(Math.max(Number(list.dataset.after || 0), e.id));
    }
    while (list.children.length > 200) list.lastElementChild.remove();
    if (announce) {
      const last = d.events[d.events.length - 1];
      news.textContent = (last.player || "") + ": " + (last.text || "");
    }
  }
  let busy = false;
  setInterval(async () => {
    if (busy || document.hidden) return;
    busy = true;
    try {
      await poll(chat, "chat,team_chat", chatLine, true);
      await poll(joins, "connect,entered,disconnect", joinLine, false);
    } catch (e) { /* keep polling */ } finally { busy = false; }
  }, 2000);
})();
