// The center desk: live desk state and queue board over /desk/ws, the caller card on
// ringing, and the note form (fetch with the X-CSRF-Token header).
(function () {
  "use strict";
  const fa = new Intl.NumberFormat("fa-IR", { useGrouping: false });
  const desk = document.getElementById("desk");
  const wsHost = desk || document.getElementById("queue-page");
  if (!wsHost) { return; }
  const status = document.getElementById("live-status");
  const STATES = { idle: "آزاد", ringing: "در حال زنگ خوردن", busy: "در حال گفتگو" };
  let clockSkew = 0; // server time minus browser time, in ms
  let currentCall = null;
  let retry = 1000;

  function waitText(joined) {
    const seconds = Math.max(0, Math.floor((Date.now() + clockSkew - joined) / 1000));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m ? fa.format(m) + " دقیقه و " + fa.format(s) + " ثانیه" : fa.format(s) + " ثانیه";
  }

  function tick() {
    document.querySelectorAll(".wait[data-joined]").forEach(function (el) {
      const joined = Number(el.dataset.joined);
      if (joined) { el.textContent = waitText(joined); }
    });
  }
  setInterval(tick, 1000);

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Callers who chose to be called back: still in line, in arrival order.
  function renderCallbacks(box, callbacks) {
    box.append(el("h4", {}, "تماس‌های برگشتی در نوبت — " + fa.format(callbacks.length)));
    const table = el("table", { "class": "callbacks" });
    const head = el("tr");
    ["شهروند", "مدت در نوبت", "تلاش", "وضعیت"].forEach(function (t) { head.append(el("th", {}, t)); });
    const thead = el("thead");
    thead.append(head);
    const body = el("tbody");
    if (!callbacks.length) {
      const row = el("tr");
      row.append(el("td", { colspan: "4", "class": "muted" }, "تماس برگشتی در نوبت نیست."));
      body.append(row);
    }
    callbacks.forEach(function (c) {
      const row = el("tr"), who = el("td");
      who.append(el("bdi", { dir: "ltr" }, c.number));
      row.append(who, el("td", { "class": "wait", "data-joined": c.queued_at }, ""),
        el("td", {}, fa.format(c.attempts)),
        el("td", {}, c.ringing ? "در حال زنگ خوردن" : "در انتظار میز آزاد"));
      body.append(row);
    });
    table.append(thead, body);
    box.append(table);
  }

  function renderQueues(msg) {
    const root = document.getElementById("queue-boards");
    if (!root) { return; }
    root.replaceChildren();
    msg.queues.forEach(function (q) {
      const box = el("div", { "class": "queue", "data-queue": q.queue });
      const h = el("h3");
      h.append(el("bdi", { "class": "ltr" }, q.queue),
        " — " + fa.format(q.callers.length) + " نفر در انتظار، ");
      const longest = el("span", { "class": "longest" }, "بیشترین انتظار: ");
      longest.append(el("span", { "class": "wait", "data-joined": q.longest_joined_at || "" },
        fa.format(0) + " ثانیه"));
      h.append(longest);
      const table = el("table");
      const head = el("tr");
      head.append(el("th", {}, "تماس‌گیرنده"), el("th", {}, "زمان انتظار"));
      const thead = el("thead");
      thead.append(head);
      table.append(thead);
      const body = el("tbody");
      if (!q.callers.length) {
        const row = el("tr");
        row.append(el("td", { colspan: "2", "class": "muted" }, "کسی در صف نیست."));
        body.append(row);
      }
      q.callers.forEach(function (c) {
        const row = el("tr"), who = el("td");
        who.append(el("bdi", { dir: "ltr" }, c.number));
        row.append(who, el("td", { "class": "wait", "data-joined": c.joined_at }, ""));
        body.append(row);
      });
      table.append(body);
      box.append(h, table);
      renderCallbacks(box, q.callbacks || []);
      root.append(box);
    });
    tick();
    status.textContent = msg.connected ? "اتصال زنده برقرار است" : "اتصال به مرکز تلفن قطع است";
  }

  async function showCaller(msg) {
    const card = document.getElementById("caller");
    const key = msg.uniqueid || msg.linkedid;
    if (msg.status === "idle" || !key) { return; } // keep the card so the note can be finished
    if (key === currentCall) { return; }
    currentCall = key;
    const query = new URLSearchParams({ uniqueid: msg.uniqueid || "", linkedid: msg.linkedid || "" });
    const response = await fetch("/desk/call?" + query, { credentials: "same-origin" });
    if (!response.ok) { currentCall = null; return; }
    card.innerHTML = await response.text(); // server-rendered, autoescaped fragment
    card.hidden = false;
    bindForm(card);
  }

  function renderDesk(msg) {
    const state = document.getElementById("desk-state");
    state.textContent = STATES[msg.status] || msg.status;
    state.className = "desk-state " + msg.status;
    showCaller(msg);
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRF-Token": desk.dataset.csrf },
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return {
      ok: response.ok, stateLine: data.state_line || "",
      message: data.message || (data.error && data.error.message) || "خطا",
    };
  }

  function bindForm(card) {
    const form = card.querySelector("#note-form");
    const out = card.querySelector("#form-message");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const result = await post(form.action, new URLSearchParams(new FormData(form)));
      out.textContent = result.message;
      out.classList.toggle("error", !result.ok);
      const state = card.querySelector("#request-state");
      if (state && result.stateLine) { state.textContent = result.stateLine; state.hidden = false; }
    });
    const none = card.querySelector("#no-request");
    none.addEventListener("click", async function () {
      const result = await post(none.dataset.action, new URLSearchParams());
      out.textContent = result.message;
      if (result.ok) { none.disabled = true; }
    });
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + wsHost.dataset.ws);
    ws.onopen = function () { retry = 1000; };
    ws.onmessage = function (event) {
      const msg = JSON.parse(event.data);
      if (msg.server_now) { clockSkew = msg.server_now - Date.now(); }
      if (msg.type === "queues") { renderQueues(msg); }
      if (msg.type === "desk" && desk) { renderDesk(msg); }
    };
    ws.onclose = function () {
      status.textContent = "اتصال قطع شد؛ تلاش دوباره…";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
}());
