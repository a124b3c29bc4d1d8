// left4me panel script for content: live job progress, the job list,
// confirmations, and the stack conflicts of the instance form.
// Plain JavaScript, no dependencies; every page works without it.
"use strict";

(function () {
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); throw new Error("logged out"); }
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }

  function clock(iso) {
    if (!iso) return "–";
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }

  function jobState(state) {
    return el("span", { class: "state job-" + state, "data-state": state }, state);
  }

  function progress(j) {
    const wrap = el("span", { class: "progress" });
    const bar = el("progress", { max: "100", value: String(j.percent), "aria-label": j.percent + "% done" }, j.percent + "%");
    wrap.append(bar, " ", el("span", { class: "pct" }, j.percent + "%"));
    if (j.message) wrap.append(" ", el("span", { class: "msg" }, j.message));
    return wrap;
  }

  const finished = (s) => s === "succeeded" || s === "failed" || s === "cancelled";

  // One job's page: poll its JSON every second until it finishes.
  const live = document.querySelector("[data-job-live][data-poll]");
  if (live) {
    const id = live.dataset.jobLive;
    const log = document.getElementById("job-log");
    const timer = setInterval(async () => {
      if (document.hidden) return;
      let j;
      try { j = await getJSON("/api/v1/jobs/" + encodeURIComponent(id)); } catch (e) { return; }
      document.getElementById("job-state").replaceChildren(jobState(j.state));
      document.getElementById("job-attempt").textContent = String(j.attempt);
      document.getElementById("job-progress").replaceChildren(progress(j));
      document.getElementById("job-started").textContent = clock(j.started_at);
      document.getElementById("job-finished").textContent = clock(j.finished_at);
      const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      if (log.textContent !== (j.log || "")) {
        log.textContent = j.log || "";
        if (atEnd) log.scrollTop = log.scrollHeight;
      }
      const errs = document.getElementById("job-errors");
      if (j.errors && j.errors.length) {
        const ul = el("ul", { class: "plain errors" });
        for (const e of j.errors) ul.append(el("li", {}, "attempt " + e.attempt + " at " + clock(e.at) + ": " + e.error));
        errs.replaceChildren(el("h3", {}, "Errors"), ul);
      }
      const cancel = document.getElementById("cancel-form");
      if (cancel && !j.cancellable) cancel.remove();
      if (finished(j.state)) clearInterval(timer);
    }, 1000);
  }

  // The jobs list: refresh state and progress while some job is unfinished.
  const list = document.querySelector("[data-jobs-list][data-poll]");
  if (list) {
    const timer = setInterval(async () => {
      if (document.hidden) return;
      let data;
      try { data = await getJSON("/api/v1/jobs" + location.search); } catch (e) { return; }
      let active = false;
      for (const j of data.jobs) {
        if (!finished(j.state)) active = true;
        const row = list.querySelector('tr[data-job="' + j.id + '"]');
        if (!row) continue;
        row.querySelector(".c-state").replaceChildren(jobState(j.state));
        row.querySelector(".c-progress").replaceChildren(progress(j));
        row.querySelector(".c-finished").textContent = clock(j.finished_at);
      }
      if (!active) clearInterval(timer);
    }, 1000);
  }

  // Forms that ask before they act: app.js (one handler; with this one
  // too every such form asked twice).

  // The instance form's layer stack: drag to reorder (the up/down buttons
  // of app.js are the keyboard way), and the conflicts of the chosen stack.
  const ol = document.querySelector("[data-layers]");
  const box = document.querySelector("[data-conflicts]");
  if (!ol) return;
  let dragged = null;
  for (const li of ol.querySelectorAll("li")) li.setAttribute("draggable", "true");
  ol.addEventListener("dragstart", (ev) => {
    dragged = ev.target.closest("li");
    if (dragged) dragged.classList.add("dragging");
  });
  ol.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    update();
  });
  ol.addEventListener("dragover", (ev) => {
    if (!dragged) return;
    ev.preventDefault();
    const over = ev.target.closest("li");
    if (!over || over === dragged) return;
    const r = over.getBoundingClientRect();
    ol.insertBefore(dragged, ev.clientY < r.top + r.height / 2 ? over : over.nextSibling);
  });

  let seq = 0;
  async function update() {
    if (!box) return;
    const ids = [...ol.querySelectorAll('input[name="layers"]:checked')].map((i) => i.value);
    const mine = ++seq;
    let rep;
    try { rep = await getJSON("/api/v1/conflicts?layers=" + encodeURIComponent(ids.join(","))); } catch (e) { return; }
    if (mine !== seq) return;
    const out = [];
    if (rep.missing && rep.missing.length) out.push(el("p", { class: "field-error" }, "Not built yet: " + rep.missing.join(", ")));
    if (!rep.conflicts.length) {
      out.push(el("p", { class: "muted" }, ids.length < 2 ? "Pick two or more layers to see which one wins a file both have." : "No file is provided by more than one of these layers."));
    } else {
      const ul = el("ul", { class: "plain conflicts" });
      for (const c of rep.conflicts) {
        const li = el("li");
        li.append(el("code", {}, c.path), " from ", el("strong", {}, c.winner), " (hides " + c.hidden.join(", ") + ")");
        ul.append(li);
      }
      out.push(ul);
      if (rep.truncated) out.push(el("p", { class: "help" }, "Only the first conflicts are listed."));
    }
    box.replaceChildren(...out);
  }
  ol.addEventListener("change", update);
  ol.addEventListener("click", (ev) => { if (ev.target.closest("button[data-move]")) setTimeout(update, 0); });
  update();
})();
