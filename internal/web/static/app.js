// left4me panel script: live refresh, log follow, RCON console, layer order.
// Plain JavaScript, no dependencies; every page works without it.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function ago(iso) {
    if (!iso) return "";
    let s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return played(s);
  }

  function played(s) {
    if (s < 60) return s + "s";
    if (s < 3600) return Math.floor(s / 60) + "m " + String(s % 60).padStart(2, "0") + "s";
    if (s < 172800) return Math.floor(s / 3600) + "h " + String(Math.floor(s / 60) % 60).padStart(2, "0") + "m";
    return Math.floor(s / 86400) + "d";
  }

  function stateBadge(state) {
    return el("span", { class: "state state-" + (state || "unknown"), "data-state": state || "" }, state || "unknown");
  }

  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); throw new Error("logged out"); }
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }

  function every(ms, fn) {
    let busy = false;
    const tick = async () => {
      if (busy || document.hidden) return;
      busy = true;
      try { await fn(); } catch (e) { /* keep polling */ } finally { busy = false; }
    };
    setInterval(tick, ms);
  }

  // "empty (hibernating)" for a hibernating server, else "humans/max".
  function playersSummary(live) {
    if (live.hibernating && live.humans === 0) return "empty (hibernating)";
    return live.humans + "/" + live.max_players;
  }

  // Instance list: refresh state, map and players of every row.
  const list = document.querySelector("[data-live-list]");
  if (list) {
    every(4000, async () => {
      const data = await getJSON("/api/v1/instances");
      for (const inst of data.instances) {
        const row = list.querySelector('tr[data-name="' + CSS.escape(inst.name) + '"]');
        if (!row) continue;
        row.querySelector(".c-state").replaceChildren(stateBadge(inst.state));
        const t = el("time", { datetime: inst.since || "" }, ago(inst.since));
        row.querySelector(".c-since").replaceChildren(t);
        row.querySelector(".c-map").textContent = inst.live ? (inst.live.map || "") : "–";
        row.querySelector(".c-players").textContent = inst.live ? playersSummary(inst.live) : "–";
      }
    });
  }

  // Forms that destroy something ask first (the server does not rely on it).
  for (const f of document.querySelectorAll("form[data-confirm]")) {
    f.addEventListener("submit", (ev) => {
      if (!window.confirm(f.dataset.confirm)) ev.preventDefault();
    });
  }

  const page = document.querySelector("[data-instance]");
  if (!page) { layerPicker(); return; }
  const name = page.dataset.instance;
  const api = "/api/v1/instances/" + encodeURIComponent(name);

  // Live state and players.
  function renderPlayers(state, live) {
    const tbody = document.querySelector("#players tbody");
    const rows = [];
    const running = state === "running" || state === "starting";
    for (const p of (live && live.players) || []) {
      const tr = el("tr", p.bot ? { class: "bot" } : {});
      const av = el("td", { class: "avatar" });
      if (p.avatar_url) av.append(el("img", { src: p.avatar_url, alt: "", width: "32", height: "32" }));
      else av.append(el("span", { class: "ph", "aria-hidden": "true" }, (p.name || "?").slice(0, 1).toUpperCase()));
      const nm = el("td", {}, p.name);
      if (p.bot) { nm.append(" "); nm.append(el("span", { class: "badge" }, "bot")); }
      tr.append(av, nm, el("td", { class: "num" }, String(p.score)), el("td", { class: "num" }, played(p.connected_seconds)), el("td", { class: "num" }, String(p.ping)));
      rows.push(tr);
    }
    if (rows.length === 0) {
      const tr = el("tr", { class: "empty" });
      const nobody = live && live.hibernating ? "Nobody is playing: the server hibernates until someone joins." : "Nobody is playing.";
      tr.append(el("td", { colspan: "5" }, running ? (live && live.online ? nobody : "Waiting for the server to answer…") : "The server is not running."));
      rows.push(tr);
    }
    tbody.replaceChildren(...rows);
    const sum = document.getElementById("live-summary");
    if (live && live.online && running) {
      sum.replaceChildren(el("span", { class: "map" }, live.map || ""), " · " + playersSummary(live) + (live.not_answering ? " · not answering (a map change?)" : ""));
    } else {
      sum.textContent = running ? "waiting for the server…" : "not running";
    }
  }

  async function refreshLive() {
    const d = await getJSON(api + "/live");
    document.getElementById("state").replaceChildren(stateBadge(d.state));
    const start = document.querySelector('button[data-action="start"]');
    const stop = document.querySelector('button[data-action="stop"]');
    if (start) start.disabled = d.state === "running" || d.state === "starting";
    if (stop) stop.disabled = d.state === "stopped";
    const since = document.getElementById("since");
    since.textContent = d.since ? "for " + ago(d.since) : "";
    renderPlayers(d.state, d.live);
  }
  every(3000, refreshLive);

  // Events feed.
  const feed = document.getElementById("events");
  let after = Number(feed?.dataset.after || 0);
  every(5000, async () => {
    const d = await getJSON(api + "/events?after=" + after);
    for (const e of d.events) {
      feed.querySelector("li.empty")?.remove();
      const li = el("li", { class: "ev-" + e.kind });
      li.append(el("time", { datetime: e.at }, new Date(e.at).toLocaleTimeString()), " ", el("span", { class: "kind" }, e.kind),
        " " + [e.player, e.text, e.map].filter(Boolean).join(" "));
      feed.append(li);
      after = Math.max(after, e.id);
      while (feed.children.length > 200) feed.firstElementChild.remove();
    }
    if (d.events.length) feed.scrollTop = feed.scrollHeight;
  });

  // Console log: follow with server-sent events, keep at most data-cap lines.
  const log = document.getElementById("log");
  if (log && log.dataset.stream) {
    const cap = Number(log.dataset.cap || 300);
    const lines = log.textContent.split("\n").filter((l) => l !== "");
    let pending = false;
    const flush = () => {
      pending = false;
      if (lines.length > cap) lines.splice(0, lines.length - cap);
      const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 30;
      log.textContent = lines.join("\n") + "\n";
      if (stick) log.scrollTop = log.scrollHeight;
    };
    log.scrollTop = log.scrollHeight;
    const status = document.getElementById("log-status");
    const es = new EventSource(log.dataset.stream);
    es.onopen = () => { status.textContent = "following live"; };
    es.onmessage = (ev) => {
      lines.push(ev.data);
      if (!pending) { pending = true; requestAnimationFrame(flush); }
    };
    es.addEventListener("reset", () => { lines.length = 0; });
    es.addEventListener("end", () => { status.textContent = "log ended"; });
    es.onerror = () => { status.textContent = "reconnecting…"; };
  }

  // RCON console: send without reloading.
  const form = document.getElementById("rcon-form");
  const out = document.getElementById("rcon-out");
  if (out) out.scrollTop = out.scrollHeight;
  if (form) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const input = form.querySelector("#command");
      const button = form.querySelector("button");
      const command = input.value.trim();
      if (!command) return;
      button.disabled = true;
      try {
        const r = await fetch(form.action, {
          method: "POST", credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ command }),
        });
        const d = await r.json();
        out.append(el("span", { class: "cmd" }, (d.user || "you") + "> " + command), "\n" + (r.ok ? d.response : "error: " + d.error) + "\n");
        out.scrollTop = out.scrollHeight;
        if (r.ok) input.value = "";
      } catch (e) {
        out.append("error: " + e.message + "\n");
      } finally {
        button.disabled = false;
        input.focus();
      }
    });
  }

  // Power buttons: show progress while the server starts or stops.
  for (const f of document.querySelectorAll(".controls form")) {
    f.addEventListener("submit", (ev) => {
      if (!ev.defaultPrevented) f.querySelector("button").disabled = true;
    });
  }

  function layerPicker() {
    const ol = document.querySelector("[data-layers]");
    if (!ol) return;
    ol.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-move]");
      if (!b) return;
      const li = b.closest("li");
      if (b.dataset.move === "up" && li.previousElementSibling) li.parentNode.insertBefore(li, li.previousElementSibling);
      if (b.dataset.move === "down" && li.nextElementSibling) li.parentNode.insertBefore(li.nextElementSibling, li);
      b.focus();
    });
  }
})();
