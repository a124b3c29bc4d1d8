// left4me: the instance page's "Kick and ban" list follows the live player
// list (GET /api/v1/instances/NAME/live). Rows of players still on are kept
// as they are, so a half-typed reason survives; the page works without it.
"use strict";

(function () {
  const card = document.getElementById("moderate");
  if (!card) return;
  const name = card.dataset.instance;
  const mayBan = card.dataset.mayBan === "true";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const tbody = card.querySelector("#moderate-players tbody");

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    e.append(...kids);
    return e;
  }
  function form(action, hidden, fields, label, cls) {
    const f = el("form", { method: "post", action: action, class: "stack" },
      el("input", { type: "hidden", name: "csrf_token", value: csrf }));
    for (const [k, v] of Object.entries(hidden)) f.append(el("input", { type: "hidden", name: k, value: v }));
    for (const [n, text, ph] of fields) f.append(el("label", {}, text + " ", el("input", { name: n, maxlength: "120", placeholder: ph || "" })));
    f.append(el("button", { type: "submit", class: cls }, label));
    return f;
  }
  function row(p) {
    const acts = el("td", {},
      el("details", { class: "kick" }, el("summary", {}, "Kick"),
        form("/instances/" + encodeURIComponent(name) + "/kick", { player: p.steam_id },
          [["reason", "Reason shown to the player", "please keep it friendly"]], "Kick " + p.name, "small")));
    if (mayBan) {
      acts.append(el("details", { class: "ban" }, el("summary", {}, "Ban"),
        form("/bans", { steam_id: p.steam_id, return: "/instances/" + name },
          [["duration", "Duration", "permanent, 30m, 12h, 7d"], ["reason", "Reason"]], "Ban " + p.name, "small danger")));
    }
    return el("tr", { "data-steamid": p.steam_id }, el("td", { class: "c-name" }, p.name), el("td", {}, el("code", {}, p.steam_id)), acts);
  }
  async function refresh() {
    let d;
    try {
      const r = await fetch("/api/v1/instances/" + encodeURIComponent(name) + "/live", { headers: { Accept: "application/json" } });
      if (!r.ok) return;
      d = await r.json();
    } catch (e) { return; }
    const players = ((d.live && d.live.players) || []).filter((p) => !p.bot && p.steam_id && p.steam_id !== "BOT");
    const want = new Set(players.map((p) => p.steam_id));
    for (const tr of [...tbody.querySelectorAll("tr[data-steamid]")]) {
      if (!want.has(tr.dataset.steamid)) tr.remove();
    }
    for (const p of players) {
      if (!tbody.querySelector('tr[data-steamid="' + CSS.escape(p.steam_id) + '"]')) tbody.append(row(p));
    }
  }
  setInterval(refresh, 3000);
  refresh();
})();
