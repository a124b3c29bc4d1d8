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

  // "empty (hibernating)" for a hibernating server, else "humans/max".
  function playersSummary(live) {
    if (live.hibernating && live.humans === 0) return "empty (hibernating)";
    return live.humans + "/" + live.max_players;
  }

  // follow opens the page's one live-state stream (server-sent events of
  // the API's JSON, sent when it changed) and calls fn with each.
  // While the stream is down for more than a second (the panel restarts,
  // the network drops) a notice at the top of the page says that what it
  // shows may be out of date; the browser reconnects by itself, and the
  // notice goes once it has. A stream the browser gave up on (the session
  // ended, the instance is gone) asks for a reload instead.
  function follow(url, fn) {
    const es = new EventSource(url);
    let notice = null, timer = 0;
    const show = (text) => {
      if (!notice) {
        notice = el("p", { id: "live-status", class: "warning live-status", role: "status" });
        document.getElementById("main")?.prepend(notice);
      }
      notice.textContent = text;
      notice.hidden = false;
    };
    es.onopen = () => {
      clearTimeout(timer);
      timer = 0;
      if (notice) notice.hidden = true;
    };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        clearTimeout(timer);
        show("Live updates stopped: reload the page to see the current state.");
        return;
      }
      if (!timer) timer = setTimeout(() => show("Live updates lost: reconnecting… what this page shows may be out of date."), 1000);
    };
    es.onmessage = (ev) => {
      let d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      fn(d);
    };
    return es;
  }

  // Instance list: state, map and players of every row, as they change.
  const list = document.querySelector("[data-live-list]");
  if (list) {
    follow("/live/instances", (data) => {
      list.dataset.liveUpdates = String(Number(list.dataset.liveUpdates || 0) + 1);
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

  // Copy buttons (the connect line): the clipboard API where the page is
  // a secure context, else a selection and the copy command.
  document.addEventListener("click", async (ev) => {
    const b = ev.target.closest("button[data-copy]");
    if (!b) return;
    const text = b.dataset.copy;
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); ok = true; }
    } catch (e) { ok = false; }
    if (!ok) {
      const ta = el("textarea", { readonly: "", "aria-hidden": "true", style: "position:fixed;opacity:0" });
      ta.value = text;
      document.body.append(ta);
      ta.select();
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      ta.remove();
    }
    const label = b.textContent;
    b.textContent = ok ? "Copied" : "Copy failed: select the text";
    b.dataset.copied = ok ? "yes" : "no";
    setTimeout(() => { b.textContent = label; }, 2000);
  });

  // Forms that destroy something ask first (the server does not rely on
  // it); a restart or reset also says how many players it disconnects
  // (data-humans of the instance page, kept current by showLive).
  function confirmText(f) {
    let extra = f.dataset.confirm || "";
    const humans = Number(document.querySelector("[data-instance]")?.dataset.humans || 0);
    if (!f.dataset.disconnects || humans <= 0) return extra;
    const verb = f.dataset.disconnects;
    const question = verb.charAt(0).toUpperCase() + verb.slice(1) + " " + document.querySelector("[data-instance]").dataset.instance + "? ";
    if (extra.startsWith(question)) extra = extra.slice(question.length);
    return (question + humans + (humans === 1 ? " player is" : " players are") + " online and will be disconnected. " + extra).trim();
  }
  for (const f of document.querySelectorAll("form[data-confirm], form[data-disconnects]")) {
    f.addEventListener("submit", (ev) => {
      const text = confirmText(f);
      if (text && !window.confirm(text)) ev.preventDefault();
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
      const nm = el("td", { class: "c-name" }, p.name);
      if (p.bot) { nm.append(" "); nm.append(el("span", { class: "badge" }, "bot")); }
      tr.append(av, nm, el("td", { class: "num", "data-label": "Score" }, String(p.score)),
        el("td", { class: "num", "data-label": "Time" }, played(p.connected_seconds)), el("td", { class: "num", "data-label": "Ping" }, String(p.ping)));
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

  function showLive(d) {
    document.getElementById("state").replaceChildren(stateBadge(d.state));
    const start = document.querySelector('button[data-action="start"]');
    const stop = document.querySelector('button[data-action="stop"]');
    if (start) start.disabled = d.state === "running" || d.state === "starting";
    if (stop) stop.disabled = d.state === "stopped";
    const since = document.getElementById("since");
    since.textContent = d.since ? "for " + ago(d.since) : "";
    const running = d.state === "running" || d.state === "starting";
    page.dataset.humans = running && d.live && d.live.online ? String(d.live.humans || 0) : "0";
    renderPlayers(d.state, d.live);
  }
  // One stream for the page: the chat card (static/chat.js) and the
  // Events card below add their cursors (data-live-query) and listen to
  // the same connection.
  const liveQuery = [...document.querySelectorAll("[data-live-query]")].map((q) => q.dataset.liveQuery).join("&");
  window.left4meLive = follow("/instances/" + encodeURIComponent(name) + "/live/stream" + (liveQuery ? "?" + liveQuery : ""), showLive);

  // Events feed: newest first, times in the viewer's locale (the date too
  // when not today), a filter by kind, "load older", and new events from
  // the page's stream (no polling), announced to screen readers.
  const feed = document.getElementById("events");
  function when(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
  }
  function eventItem(e) {
    const li = el("li", { class: "ev-" + e.kind, "data-id": String(e.id) });
    li.append(el("time", { datetime: e.at, title: e.at }, when(e.at)), " ", el("span", { class: "kind" }, e.kind), " ",
      el("span", { class: "what" }, [e.player, e.text, e.map].filter(Boolean).join(" ")));
    return li;
  }
  if (feed) {
    for (const t of feed.querySelectorAll("time[datetime]")) t.textContent = when(t.getAttribute("datetime"));
    const select = document.getElementById("event-kind");
    const older = document.getElementById("events-older");
    const news = document.getElementById("events-news");
    const kindParam = () => (select && select.value ? "&kind=" + encodeURIComponent(select.value) : "");
    const showOlder = (id) => {
      older.dataset.before = String(id || 0);
      older.parentElement.hidden = !id;
    };
    const empty = () => {
      if (!feed.querySelector("li:not(.empty)")) feed.replaceChildren(el("li", { class: "empty" }, select && select.value ? "No events of this kind yet." : "No events yet."));
      else feed.querySelector("li.empty")?.remove();
    };
    // A page of events before id (0: the newest), appended below those
    // shown. A change of filter while a page loads makes that page stale
    // (generation), and no event is listed twice.
    let generation = 0;
    const shown = (id) => feed.querySelector('li[data-id="' + id + '"]') !== null;
    const loadPage = async (before) => {
      const gen = generation;
      const d = await getJSON(api + "/events?limit=51" + (before ? "&before=" + before : "") + kindParam());
      if (gen !== generation) return;
      const evs = d.events;
      const more = evs.length > 50;
      if (more) evs.shift();
      feed.append(...evs.reverse().filter((e) => !shown(e.id)).map(eventItem));
      showOlder(more ? evs[evs.length - 1].id : 0);
      empty();
    };
    if (older) {
      older.addEventListener("click", async (ev) => {
        ev.preventDefault();
        await loadPage(Number(older.dataset.before));
      });
    }
    if (select) {
      select.addEventListener("change", async () => {
        generation++;
        feed.replaceChildren();
        history.replaceState(null, "", location.pathname + (select.value ? "?kind=" + encodeURIComponent(select.value) : ""));
        await loadPage(0);
      });
    }
    // The stream sends every new event the viewer may see, after the
    // cursor of templates/instance.html, as an "event" (resuming after the
    // last one on a reconnect); the card lists those of the kinds chosen.
    const es = window.left4meLive;
    if (es && "liveQuery" in feed.dataset) {
      const chosen = (e) => !select || !select.value || select.value.split(",").includes(e.kind);
      es.addEventListener("event", (ev) => {
        let e;
        try { e = JSON.parse(ev.data); } catch (err) { return; }
        if (!chosen(e) || shown(e.id)) return;
        const stick = feed.scrollTop < 30;
        feed.prepend(eventItem(e));
        empty();
        news.textContent = "New event: " + [e.kind, e.player, e.text, e.map].filter(Boolean).join(" ");
        if (feed.children.length > 500) {
          while (feed.children.length > 500) feed.lastElementChild.remove();
          showOlder(Number(feed.lastElementChild.dataset.id));
        }
        if (stick) feed.scrollTop = 0;
      });
    }
  }

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

  // RCON console: send without reloading; each command with its reply.
  // The view follows new replies only while it is scrolled to the end.
  const form = document.getElementById("rcon-form");
  const out = document.getElementById("rcon-out");
  if (out) out.scrollTop = out.scrollHeight;
  function addPair(who, command, reply, failed) {
    const stick = out.scrollTop + out.clientHeight >= out.scrollHeight - 30;
    const pair = el("div", { class: "pair" + (failed ? " failed" : "") });
    pair.append(el("div", { class: "cmd" }, who + "> " + command));
    if (reply) pair.append(el("pre", { class: "reply" }, reply));
    else pair.append(el("p", { class: "reply none" }, "(no reply)"));
    out.append(pair);
    if (stick) out.scrollTop = out.scrollHeight;
  }
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
        addPair(d.user || "you", command, r.ok ? d.response : "error: " + d.error, !r.ok);
        if (r.ok) input.value = "";
      } catch (e) {
        addPair("you", command, "error: " + e.message, true);
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
