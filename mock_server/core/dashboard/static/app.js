// uphunt-mock dashboard. Plain JavaScript, no dependency, no build step; reads only the control API.
// Live updates: one EventSource on /_mock/events says which topics changed; the page then fetches
// the views it shows: one request per view at a time, a view at most once per its `gap` (and never
// more often than ten times its own last fetch-and-draw time, so a big view throttles itself).
// The first change after a quiet spell is shown at once.
"use strict";
(() => {
  const API = "/_mock";
  const COST_FACTOR = 10; // a view that took t ms to fetch and draw waits at least 10 t before the next
  const JOURNAL_PAGE = 200; // entries per journal fetch
  const JOURNAL_KEEP = 500; // rows the table keeps
  const SVGNS = "http://www.w3.org/2000/svg";
  const TERMINAL_SYMBOL = { applied: "✓" };
  const STATE_COLOURS = {
    processing: "#0550ae", "queue-wait": "#6e7781", applied: "#1a7f37", failed: "#a40e26", not_available: "#57606a",
    not_eligible: "#8250df", not_enough_connects: "#bc4c00", logged_out: "#7d4e00",
  };
  const SPARE_COLOURS = ["#0a3069", "#953800", "#116329", "#6639ba", "#9a6700", "#a0111f", "#1b7c83"];
  const SERIES = [
    { colour: "#0550ae", dash: "" }, { colour: "#bc4c00", dash: "6 3" }, { colour: "#1a7f37", dash: "2 2" },
    { colour: "#8250df", dash: "8 3 2 3" }, { colour: "#a40e26", dash: "1 3" }, { colour: "#57606a", dash: "4 4" },
  ];

  // ── small helpers ────────────────────────────────────────────────────
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function sv(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function setAttrs(node, attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
  }
  function append(node, children) {
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }
  const pretty = (v) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));
  function maskKey(key) {
    // The journal's mask (mock_server.core.journal.mask_secret), to match masked keys with accounts:
    // at most a third of a key (never more than 10 characters), one * per hidden character (at most 16).
    const lower = key.toLowerCase();
    if (lower.startsWith("bearer ")) return key.slice(0, 7) + maskKey(key.slice(7));
    if (lower.startsWith("basic ")) return key.slice(0, 6) + maskKey(key.slice(6));
    const visible = Math.min(10, Math.floor(key.length / 3));
    if (visible < 2) return "****";
    const tail = Math.min(4, Math.floor(visible / 2));
    return key.slice(0, visible - tail) + "*".repeat(Math.min(16, key.length - visible)) + key.slice(-tail);
  }
  function fmtTime(ms, withDate) {
    if (ms === null || ms === undefined) return "—";
    const iso = new Date(ms).toISOString(); // simulated time is UTC Unix ms
    return withDate ? iso.replace("T", " ").replace("Z", " UTC") : iso.slice(11, 23);
  }
  function fmtDuration(ms) {
    const s = ms / 1000;
    if (Math.abs(s) < 60) return `${+s.toFixed(s < 10 ? 1 : 0)} s`;
    if (Math.abs(s) < 3600) { const r = Math.round(s); return `${Math.floor(r / 60)} min ${r % 60} s`; }
    return `${(s / 3600).toFixed(1)} h`;
  }
  function stateColour(state) {
    if (STATE_COLOURS[state]) return STATE_COLOURS[state];
    let hash = 0;
    for (const ch of String(state)) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
    return SPARE_COLOURS[Math.abs(hash) % SPARE_COLOURS.length];
  }
  const stateSymbol = (state, terminal) => (!terminal ? "…" : TERMINAL_SYMBOL[state] || "✕");
  function statusClass(status) {
    if (!status) return "err";
    return status < 300 ? "ok" : status < 500 && status !== 401 && status !== 403 ? "warn" : "err";
  }
  let toastTimer = 0;
  function toast(message) {
    const t = $("#toast");
    t.textContent = message;
    t.classList.add("show");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => t.classList.remove("show"), 2500);
  }
  async function api(method, path, body, contentType) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.body = typeof body === "string" ? body : JSON.stringify(body);
      init.headers["content-type"] = contentType || "application/json";
    }
    const res = await fetch(API + path, init);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { status: res.status, data };
  }

  // ── shared state ─────────────────────────────────────────────────────
  const world = {
    clock: null, clockAt: 0, keys: [], // every account's full key (from the meters)
    selected: null, detailOpener: null, openDeliveries: new Set(),
  };

  // ── views: what each one fetches, which topics make it stale, how it renders ──
  const views = {};
  function defineView(name, deps, gap, load) {
    views[name] = { name, deps, gap, load, stale: true, busy: false, again: false, last: 0, cost: 0, timer: 0 };
  }
  function visible(name) {
    if (name === "detail") return !$("#detail").hidden;
    if (name === "library") name = "scenarios"; // the library lives on the scenarios tab
    const panel = $(`#panel-${name}`);
    return panel && !panel.hidden;
  }
  function markStale(topics) {
    for (const view of Object.values(views)) {
      if (topics === "all" || view.deps.some((t) => topics.includes(t))) view.stale = true;
    }
    refreshVisible();
  }
  function refreshVisible() {
    for (const view of Object.values(views)) if (view.stale && visible(view.name)) refresh(view);
  }
  async function refresh(view) {
    if (view.busy) { view.again = true; return; }
    const wait = view.last + Math.max(view.gap, view.cost * COST_FACTOR) - Date.now();
    if (wait > 0) {
      if (!view.timer) view.timer = setTimeout(() => { view.timer = 0; refresh(view); }, wait);
      return;
    }
    view.busy = true;
    view.stale = false;
    view.last = Date.now();
    const started = performance.now();
    try {
      await view.load();
      view.cost = performance.now() - started;
    } catch (err) {
      console.warn("dashboard: loading", view.name, err);
      view.stale = true;
    } finally {
      view.busy = false;
      if (view.again) { view.again = false; view.stale = true; if (visible(view.name)) refresh(view); }
    }
  }

  // ── live updates ─────────────────────────────────────────────────────
  function setLive(on, text) {
    const live = $("#live");
    live.textContent = text;
    live.className = "live " + (on ? "on" : "off");
  }
  function connect() {
    const source = new EventSource(API + "/events");
    source.addEventListener("hello", (e) => {
      setLive(true, "live");
      const notice = JSON.parse(e.data);
      setClock(notice.clock);
      markStale("all");
    });
    source.addEventListener("changed", (e) => {
      const notice = JSON.parse(e.data);
      setClock(notice.clock);
      markStale(notice.topics);
    });
    source.onerror = () => setLive(false, "reconnecting…");
  }

  // ── clock ────────────────────────────────────────────────────────────
  function simNow() {
    const c = world.clock;
    if (!c) return Date.now();
    if (c.mode === "manual") return c.now;
    const realElapsed = performance.now() - world.clockAt;
    return c.now + (c.mode === "scaled" ? realElapsed / c.factor : realElapsed);
  }
  function setClock(clock) {
    if (!clock) return;
    world.clock = clock;
    world.clockAt = performance.now();
    const manual = clock.mode === "manual";
    $("#clock-mode").textContent = clock.mode === "scaled" ? `scaled ×${+(1 / clock.factor).toPrecision(3)}` : clock.mode;
    for (const b of $$(".clock-ctl button")) {
      b.disabled = !manual;
      b.title = manual ? "" : "Only the manual clock can be advanced (serve --clock manual)";
    }
    renderClock();
  }
  function renderClock() {
    const now = simNow();
    const t = $("#clock-now");
    t.textContent = fmtTime(now, true);
    t.dateTime = new Date(now).toISOString();
  }
  setInterval(() => {
    // Real and scaled clocks move by themselves: redraw the time and the timeline's "now" locally.
    if (world.clock && world.clock.mode !== "manual") {
      renderClock();
      if (visible("timeline") && timelineData) drawTimeline();
    }
  }, 1000);
  async function advance(body, label) {
    const { status, data } = await api("POST", "/clock/advance", body);
    if (status === 200) {
      setClock({ mode: data.mode, now: data.now, factor: data.factor });
      toast(`${label}: ${data.eventsRun} event(s) ran`);
    } else toast(data && data.error ? data.error : `advance failed (${status})`);
  }
  for (const b of $$("[data-advance]")) b.addEventListener("click", () => advance({ seconds: +b.dataset.advance }, b.textContent));
  for (const b of $$("[data-until]")) b.addEventListener("click", () => advance({ until: b.dataset.until }, b.textContent));
  $("#reset").addEventListener("click", async () => {
    const { status, data } = await api("POST", "/reset");
    if (status === 200) {
      setClock(data.clock);
      journal.reset();
      closeDetail();
      toast("World reset");
    }
  });

  // ── tabs (WAI-ARIA tabs: arrows move, Home/End jump) ──────────────────
  const tabs = $$('[role="tab"]');
  function selectTab(tab, focus) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $("#" + t.getAttribute("aria-controls")).hidden = !on;
    }
    if (focus) tab.focus();
    const name = tab.id.replace("tab-", "");
    if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
    refreshVisible();
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab, false));
    tab.addEventListener("keydown", (e) => {
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      selectTab(tabs[(next + tabs.length) % tabs.length], true);
    });
  }

  // ── timeline ─────────────────────────────────────────────────────────
  let timelineData = null;
  defineView("timeline", ["state", "clock"], 1000, async () => {
    const { data } = await api("GET", "/timeline?limit=300");
    timelineData = data;
    drawTimeline();
  });
  $("#tl-window").addEventListener("change", () => timelineData && drawTimeline());
  window.addEventListener("resize", () => timelineData && visible("timeline") && drawTimeline());

  function patternDefs() {
    const defs = sv("defs");
    const make = (id, colour, kind) => {
      const p = sv("pattern", { id, patternUnits: "userSpaceOnUse", width: 6, height: 6, patternTransform: kind === "dots" ? null : "rotate(45)" });
      p.append(sv("rect", { width: 6, height: 6, fill: kind === "solid" ? colour : "#fff" }));
      if (kind === "stripes") p.append(sv("rect", { width: 3, height: 6, fill: colour }));
      if (kind === "hatch") p.append(sv("rect", { width: 1.5, height: 6, fill: colour }));
      if (kind === "cross") {
        p.append(sv("rect", { width: 6, height: 6, fill: colour, opacity: 0.35 }));
        p.append(sv("rect", { width: 2, height: 6, fill: colour }), sv("rect", { width: 6, height: 2, fill: colour }));
      }
      defs.append(p);
    };
    return { defs, make };
  }
  function fillFor(state, terminal, make, made, prefix = "pat") {
    // waiting in the queue: hatched grey; being submitted: striped; applied: solid; any other end: cross-hatched.
    const kind = state === "queue-wait" ? "hatch" : !terminal ? "stripes" : state === "applied" ? "solid" : "cross";
    const id = `${prefix}-${kind}-${String(state).replace(/[^a-z0-9_]/gi, "")}`;
    if (!made.has(id)) { made.add(id); make(id, stateColour(state), kind); }
    return `url(#${id})`;
  }
  function renderLegend(states) {
    const { defs, make } = patternDefs();
    const made = new Set();
    const items = [["queue-wait", false, "… queued (waiting for a worker)"], ["processing", false, "… processing (being submitted)"]];
    for (const s of states) if (s !== "processing") items.push([s, true, `${stateSymbol(s, true)} ${s.replaceAll("_", " ")}`]);
    const rows = items.map(([state, terminal, label]) => {
      const swatch = sv("svg", { width: 28, height: 12, "aria-hidden": "true" }, sv("rect", { width: 28, height: 12, fill: fillFor(state, terminal, make, made, "legend") }));
      return el("li", { "data-state": state }, swatch, label);
    });
    $("#tl-legend").replaceChildren(el("li", { class: "vh", "aria-hidden": "true" }, sv("svg", { width: 0, height: 0 }, defs)), ...rows);
  }
  function niceStep(spanMs, px) {
    const target = spanMs / Math.max(2, px / 110);
    const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map((s) => s * 1000);
    return steps.find((s) => s >= target) || 86400000;
  }
  function drawTimeline() {
    const box = $("#timeline");
    const data = timelineData;
    const now = world.clock && world.clock.mode !== "manual" ? simNow() : data.now;
    let apps = data.applications;
    const windowSel = $("#tl-window").value;
    if (windowSel !== "fit") apps = apps.filter((a) => (a.finishedAt === null ? now : a.finishedAt) >= now - +windowSel);
    const counts = {};
    for (const a of data.applications) counts[a.state] = (counts[a.state] || 0) + 1;
    $("#tl-summary").textContent = data.applications.length
      ? `${data.total} application(s) in the world; showing the newest ${data.applications.length}. ` +
        Object.entries(counts).map(([s, n]) => `${n} ${s.replaceAll("_", " ")}`).join(", ") + "."
      : "No application yet: apply through the API and it appears here.";
    renderLegend(Object.keys(counts).sort());
    if (!apps.length) {
      box.replaceChildren(el("p", { class: "empty", text: "Nothing to draw in this window." }));
      return;
    }
    const width = Math.max(320, box.clientWidth - 2);
    const labelW = width < 700 ? 118 : 290;
    const right = 12;
    let t0 = Math.min(...apps.map((a) => a.createdAt));
    if (windowSel !== "fit") t0 = Math.max(t0, now - +windowSel);
    let t1 = Math.max(now, ...apps.map((a) => a.finishedAt ?? a.completesAt ?? a.createdAt));
    if (t1 - t0 < 10000) t1 = t0 + 10000;
    t1 += (t1 - t0) * 0.02;
    const plotW = width - labelW - right;
    const x = (t) => labelW + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * plotW;

    // group -> account -> applications
    const groups = new Map();
    for (const a of apps) {
      const g = a.group ?? "—";
      if (!groups.has(g)) groups.set(g, new Map());
      const accounts = groups.get(g);
      if (!accounts.has(a.account)) accounts.set(a.account, []);
      accounts.get(a.account).push(a);
    }
    const ROW = 22, AXIS = 26;
    let height = AXIS + 6;
    for (const accounts of groups.values()) {
      height += 20 + 18; // group title + pacing lane
      for (const list of accounts.values()) height += 16 + list.length * ROW;
      height += 8;
    }
    const svgEl = sv("svg", { width, height, role: "group", "aria-label": "Applications over simulated time" });
    const { defs, make } = patternDefs();
    const made = new Set();
    svgEl.append(defs);

    // axis and grid
    const axis = sv("g", { class: "axis", "aria-hidden": "true" });
    const step = niceStep(t1 - t0, plotW);
    for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
      axis.append(sv("line", { class: "grid", x1: x(t), x2: x(t), y1: AXIS - 4, y2: height }));
      axis.append(sv("text", { x: x(t), y: 14, "text-anchor": "middle", text: fmtTime(t).slice(0, step < 1000 ? 12 : 8) }));
    }
    axis.append(sv("text", { x: 4, y: 14, text: "simulated time (UTC)" }));
    svgEl.append(axis);

    let y = AXIS + 6;
    for (const [group, accounts] of groups) {
      svgEl.append(sv("text", { class: "group-title", x: 4, y: y + 13, text: group }));
      y += 20;
      // pacing lane: every pickup of the group and the gap to the previous one
      const pickups = [];
      for (const list of accounts.values()) for (const a of list) if (a.pickupAt !== null) pickups.push(a.pickupAt);
      pickups.sort((a, b) => a - b);
      const lane = sv("g", { class: "pacing", "aria-label": `pickups of ${group}: ` + (pickups.length ? pickups.map((p) => fmtTime(p)).join(", ") : "none") , role: "img" });
      lane.append(sv("text", { class: "muted", x: 12, y: y + 12, text: "pickups" }));
      lane.append(sv("line", { x1: labelW, x2: labelW + plotW, y1: y + 9, y2: y + 9, stroke: "#d0d7de" }));
      pickups.forEach((p, i) => {
        const past = p <= now;
        lane.append(sv("line", { x1: x(p), x2: x(p), y1: y + 3, y2: y + 15, stroke: past ? "#1b1f24" : "#8c959f", "stroke-width": 2, "stroke-dasharray": past ? null : "2 2" }));
        if (i > 0) {
          const gap = p - pickups[i - 1];
          const mid = (x(p) + x(pickups[i - 1])) / 2;
          if (x(p) - x(pickups[i - 1]) > 24) lane.append(sv("text", { class: "muted", x: mid, y: y + 7, "text-anchor": "middle", text: fmtDuration(gap) }));
        }
      });
      svgEl.append(lane);
      y += 18;
      for (const [account, list] of accounts) {
        svgEl.append(sv("text", { class: "account-title", x: 8, y: y + 12, text: `key ${account}` }));
        y += 16;
        list.sort((a, b) => a.createdAt - b.createdAt);
        for (const a of list) {
          svgEl.append(drawBar(a, y, ROW, x, labelW, plotW, now, make, made));
          y += ROW;
        }
      }
      y += 8;
    }
    // now line
    svgEl.append(sv("line", { class: "now", x1: x(now), x2: x(now), y1: AXIS - 6, y2: height, "aria-hidden": "true" }));
    svgEl.append(sv("text", { x: Math.min(x(now) + 3, width - 26), y: height - 4, fill: "#bf3989", text: "now", "aria-hidden": "true" }));

    const focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : null;
    box.replaceChildren(svgEl);
    if (focusedId) {
      const again = box.querySelector(`.bar[data-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
  }
  function drawBar(a, y, ROW, x, labelW, plotW, now, make, made) {
    const terminal = a.terminal;
    const end = terminal ? a.finishedAt : now;
    const pickedUp = a.pickupAt !== null && a.pickupAt <= end;
    const stateWord = a.state.replaceAll("_", " ");
    const desc = [
      `${a.label}, ${stateWord}${terminal ? "" : " (not finished)"}`,
      `queued ${fmtTime(a.createdAt)}`,
      a.pickupAt !== null ? `${a.pickupAt <= now ? "picked up" : "pickup planned"} ${fmtTime(a.pickupAt)}` : null,
      terminal ? `finished ${fmtTime(a.finishedAt)}` : a.completesAt !== null ? `outcome due ${fmtTime(a.completesAt)}` : null,
    ].filter(Boolean).join(", ");
    const g = sv("g", {
      class: "bar" + (world.selected === a.id ? " selected" : ""), tabindex: 0, role: "button",
      "data-id": a.id, "data-state": a.state, "data-terminal": String(terminal), "aria-label": desc,
    });
    g.append(sv("title", { text: desc }));
    g.append(sv("rect", { class: "hit", x: 0, y, width: labelW + plotW + 12, height: ROW, fill: "transparent" }));
    const max = labelW < 200 ? 11 : 22;
    const label = a.label.length > max ? a.label.slice(0, max - 1) + "…" : a.label;
    g.append(sv("text", { x: 14, y: y + 15, text: label }));
    g.append(sv("text", { x: labelW - 6, y: y + 15, "text-anchor": "end", fill: stateColour(a.state), "font-weight": 700, text: `${stateSymbol(a.state, terminal)} ${labelW < 200 ? "" : stateWord}`.trim() }));
    const top = y + 4, h = ROW - 8;
    const qEnd = a.pickupAt === null ? end : Math.min(a.pickupAt, end);
    const qw = Math.max(1, x(qEnd) - x(a.createdAt));
    g.append(sv("rect", { x: x(a.createdAt), y: top, width: qw, height: h, fill: fillFor("queue-wait", false, make, made), stroke: "#6e7781", "stroke-width": 0.5 }));
    if (pickedUp) {
      const w = Math.max(2, x(end) - x(a.pickupAt));
      g.append(sv("rect", { x: x(a.pickupAt), y: top, width: w, height: h, fill: fillFor(a.state, terminal, make, made), stroke: stateColour(a.state), "stroke-width": 1 }));
    }
    if (!terminal && a.completesAt !== null && a.completesAt > now) {
      // what is planned: the rest of the queue wait and the submission, dashed
      g.append(sv("rect", { class: "planned", x: x(now), y: top, width: Math.max(1, x(a.completesAt) - x(now)), height: h }));
    }
    if (terminal) {
      const ex = x(end);
      g.append(sv("text", { x: Math.min(ex + 3, labelW + plotW - 4), y: y + 15, fill: stateColour(a.state), "font-weight": 700, "text-anchor": ex + 60 > labelW + plotW ? "end" : "start", text: stateSymbol(a.state, true) }));
    }
    const open = () => openDetail(a.id, g);
    g.addEventListener("click", open);
    g.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); }
    });
    return g;
  }

  // ── application detail (drawer) ──────────────────────────────────────
  let detailId = null;
  defineView("detail", ["journal", "deliveries", "state"], 500, async () => {
    if (!detailId) return;
    const { status, data } = await api("GET", `/applications/${encodeURIComponent(detailId)}`);
    const body = $("#detail-body");
    if (status !== 200) { body.replaceChildren(el("p", { text: data && data.error ? data.error : `error ${status}` })); return; }
    const record = el("dl", { class: "record" });
    for (const [k, v] of Object.entries(data.record)) {
      const shown = /At$/.test(k) && typeof v === "number" ? `${fmtTime(v, true)} (${v})` : v === null ? "null" : String(v);
      record.append(el("dt", { text: k }), el("dd", { text: shown }));
    }
    const requests = el("div");
    if (!data.requests.length) requests.append(el("p", { class: "summary", text: "No request in the journal names it (any more)." }));
    for (const e of data.requests) {
      const body = entryDetails(e);
      const block = el("details", {}, el("summary", {}, `#${e.id} ${e.method} ${e.path} → `, el("span", { class: `status ${statusClass(e.status)}`, text: e.status || "dropped" })), body);
      block.addEventListener("toggle", () => block.open && body.fillCurl());
      requests.append(block);
    }
    const deliveries = el("div");
    if (!data.deliveries.length) deliveries.append(el("p", { class: "summary", text: "No webhook delivery (no webhookUrl, or not terminal yet)." }));
    for (const d of data.deliveries) deliveries.append(deliveryBlock(d));
    $("#detail-title").textContent = `Application ${data.id}`;
    body.replaceChildren(el("h3", { text: "Record" }), record, el("h3", { text: `Requests (${data.requests.length})` }), requests, el("h3", { text: `Webhook deliveries (${data.deliveries.length})` }), deliveries);
  });
  function openDetail(id, opener) {
    detailId = id;
    world.selected = id;
    world.detailOpener = opener || document.activeElement;
    const drawer = $("#detail");
    drawer.hidden = false;
    $("#detail-title").textContent = `Application ${id}`;
    $("#detail-body").replaceChildren(el("p", { class: "summary", text: "Loading…" }));
    for (const b of $$(".timeline .bar")) b.classList.toggle("selected", b.dataset.id === id);
    views.detail.stale = true;
    views.detail.last = 0;
    refresh(views.detail);
    $("#detail-title").focus();
  }
  function closeDetail() {
    const drawer = $("#detail");
    if (drawer.hidden) return;
    drawer.hidden = true;
    detailId = null;
    world.selected = null;
    for (const b of $$(".timeline .bar.selected")) b.classList.remove("selected");
    const opener = world.detailOpener;
    if (opener && document.contains(opener)) opener.focus();
    else if (opener && opener.dataset && opener.dataset.id) {
      const again = $(`.timeline .bar[data-id="${CSS.escape(opener.dataset.id)}"]`);
      if (again) again.focus();
    }
  }
  $("#detail-close").addEventListener("click", closeDetail);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeDetail(); });

  // ── accounts ─────────────────────────────────────────────────────────
  defineView("accounts", ["state", "clock"], 1000, async () => {
    const { data } = await api("GET", "/meters");
    rememberKeys(data.accounts);
    const box = $("#accounts");
    if (!data.accounts.length) { box.replaceChildren(el("p", { class: "empty", text: "No account in this world." })); return; }
    box.replaceChildren(...data.accounts.map((a) => accountCard(a, data.now)));
  });
  function rememberKeys(accounts) {
    const keys = accounts.map((a) => a.apiKey);
    if (keys.join("\n") === world.keys.join("\n")) return;
    world.keys = keys;
    const select = $("#filter-key");
    const current = select.value;
    select.replaceChildren(el("option", { value: "", text: "any" }), ...keys.map((k) => el("option", { value: k, text: k })));
    select.value = current;
  }
  function accountCard(account, now) {
    const card = el("article", { class: "card account", "data-key": account.apiKey, "aria-label": `account ${maskKey(account.apiKey)}` });
    card.append(el("h3", {}, el("code", { text: account.apiKey }), account.group ? el("span", { class: "group", text: account.group }) : null));
    const history = account.history;
    const t0 = history.length ? history[0].t : now;
    const t1 = Math.max(now, history.length ? history[history.length - 1].t : now, t0 + 1000);
    const balances = el("div", { class: "metrics" });
    const usage = el("div", { class: "metrics" });
    for (const [key, value] of Object.entries(account.values)) {
      (key.startsWith("rate.") ? usage : balances).append(metricTile(key, value, history, t0, t1));
    }
    card.append(balances);
    if (account.rateLimits.length) {
      const rates = el("ul", { class: "rates", "aria-label": "rate-limit windows" });
      for (const w of account.rateLimits) {
        const label = `${w.operation} per ${w.window}: ${w.used} of ${w.limit} used, resets in ${fmtDuration(Math.max(0, w.resetsAt - now))}`;
        rates.append(el("li", {}, el("span", { text: label }), el("meter", { min: 0, max: w.limit, value: w.used, high: w.limit * 0.8, "aria-label": label })));
      }
      card.append(el("h4", { text: "Rate-limit windows" }), rates, usage);
    }
    return card;
  }
  function metricTile(key, value, history, t0, t1) {
    // One small step chart per number, each on its own scale, so a change of 1 in 100 still shows.
    // the points where this number changed (the history keeps a point when any number of the account did)
    const points = history.filter((p, i) => key in p.values && (i === 0 || history[i - 1].values[key] !== p.values[key]));
    const name = key.startsWith("rate.") ? `${key.split(".").slice(1).join(" per ")} requests` : key;
    const fig = el("figure", { class: "metric", "data-metric": key, "data-points": points.length, "data-value": value });
    const w = 160, h = 34, pad = 3;
    const vals = points.map((p) => p.values[key]);
    const lo = Math.min(value, ...vals), hi = Math.max(value, ...vals);
    const x = (t) => pad + ((t - t0) / (t1 - t0)) * (w - 2 * pad);
    const y = (v) => (hi === lo ? h / 2 : h - pad - ((v - lo) / (hi - lo)) * (h - 2 * pad));
    let d = "";
    points.forEach((p, j) => { d += j === 0 ? `M${x(p.t)},${y(p.values[key])}` : `H${x(p.t)}V${y(p.values[key])}`; });
    if (points.length) d += `H${x(t1)}`;
    const label = `${name}: now ${value}; ${points.length} change(s) since ${fmtTime(t0)}` + (hi !== lo ? `, between ${lo} and ${hi}` : "");
    const plot = sv("svg", { class: "plot", viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: "none", role: "img", "aria-label": label },
      sv("path", { d, fill: "none", stroke: "#0550ae", "stroke-width": 2, "vector-effect": "non-scaling-stroke" }));
    for (const p of points) plot.append(sv("circle", { cx: x(p.t), cy: y(p.values[key]), r: 1.6, fill: "#0550ae" }));
    fig.append(
      el("figcaption", {}, el("span", { class: "name", text: name }), el("strong", { class: "value", text: value })),
      plot,
      el("small", { class: "range", text: hi !== lo ? `${lo} … ${hi}` : "unchanged" }),
    );
    return fig;
  }

  // ── journal ──────────────────────────────────────────────────────────
  const journal = {
    lastId: 0, filterKey: null, rows: 0,
    reset() { this.lastId = 0; this.filterKey = null; this.rows = 0; $("#journal-table tbody").replaceChildren(); },
  };
  function journalFilters() {
    const form = $("#journal-filters");
    const params = new URLSearchParams();
    for (const name of ["operationId", "status", "apiKey", "matchedRule"]) {
      const v = form.elements[name].value.trim();
      if (v) params.set(name, v);
    }
    return params;
  }
  async function loadKeys() {
    // the key filter lists every account's full key (the journal masks them, and masks can collide)
    const { status, data } = await api("GET", "/meters");
    if (status === 200) rememberKeys(data.accounts);
  }
  $("#filter-key").addEventListener("focus", loadKeys);
  defineView("journal", ["journal"], 250, async () => {
    if (!world.keys.length) await loadKeys();
    const params = journalFilters();
    const key = params.toString();
    if (key !== journal.filterKey) journal.reset();
    journal.filterKey = key;
    params.set("limit", JOURNAL_PAGE);
    if (journal.lastId) params.set("after", journal.lastId);
    const { status, data } = await api("GET", "/requests?" + params);
    if (status !== 200) {
      $("#journal-summary").textContent = data && data.error ? `Filter not applied: ${data.error}` : `error ${status}`;
      return;
    }
    const tbody = $("#journal-table tbody");
    const frag = document.createDocumentFragment();
    for (const e of data.requests) {
      frag.append(...journalRow(e));
      journal.lastId = Math.max(journal.lastId, e.id);
      journal.rows += 1;
      noteOptions(e);
    }
    tbody.append(frag);
    while (journal.rows > JOURNAL_KEEP && tbody.firstElementChild) {
      const first = tbody.firstElementChild;
      if (first.nextElementSibling && first.nextElementSibling.classList.contains("details")) first.nextElementSibling.remove();
      first.remove();
      journal.rows -= 1;
    }
    const filtered = key ? " matching the filters" : "";
    $("#journal-summary").textContent = `${journal.rows} request(s)${filtered} shown (newest last); the journal keeps ${data.capacity}, ${data.dropped} dropped.`;
    if (data.requests.length === JOURNAL_PAGE && journal.lastId) views.journal.stale = true; // more to read
  });
  const seenOps = new Set(), seenRules = new Set();
  function noteOptions(e) {
    if (e.operationId && !seenOps.has(e.operationId)) { seenOps.add(e.operationId); $("#ops").append(el("option", { value: e.operationId })); }
    if (e.matchedRule && !seenRules.has(e.matchedRule)) { seenRules.add(e.matchedRule); $("#rules").append(el("option", { value: e.matchedRule })); }
  }
  function journalRow(e) {
    const key = e.headers["x-api-key"] || (e.headers.authorization || "").replace(/^Bearer /i, "") || "";
    const query = new URLSearchParams(e.query).toString();
    const expand = el("button", { type: "button", class: "expand", "aria-expanded": "false", "aria-label": `details of request ${e.id}`, text: "▸" });
    const row = el("tr", { class: "entry", "data-id": e.id, "data-operation": e.operationId || "", "data-status": e.status },
      el("td", { class: "num" }, expand, e.id),
      el("td", {}, el("time", { text: fmtTime(e.time) })),
      el("td", {}, el("code", { text: `${e.method} ${e.path}${query ? "?" + query : ""}` })),
      el("td", {}, el("span", { class: `status ${statusClass(e.status)}`, text: e.status || "dropped" })),
      el("td", { text: e.operationId || "—" }),
      el("td", {}, el("code", { text: key || "—" })),
      el("td", { text: e.matchedRule || "" }),
      el("td", { class: "num", text: e.latencyMs }),
    );
    const body = entryDetails(e);
    const details = el("tr", { class: "details", hidden: true }, el("td", { colspan: 8 }, body));
    expand.addEventListener("click", () => {
      const open = details.hidden;
      if (open) body.fillCurl();
      details.hidden = !open;
      expand.setAttribute("aria-expanded", String(open));
      expand.textContent = open ? "▾" : "▸";
    });
    return [row, details];
  }
  async function fullKeyOf(e, masked) {
    // The journal masks keys and masks can collide (sk_u****************_key): ask the journal's exact key
    // filter which of the accounts whose key masks alike made this request.
    if (!world.keys.length) await loadKeys();
    const candidates = world.keys.filter((k) => maskKey(k) === masked);
    if (candidates.length < 2) return candidates[0] || null;
    for (const key of candidates) {
      const { status, data } = await api("GET", `/requests?${new URLSearchParams({ apiKey: key, after: e.id - 1 })}`);
      if (status === 200 && data.requests.length && data.requests[0].id === e.id) return key;
    }
    return null;
  }
  async function curlFor(e) {
    const q = (s) => `'${String(s).replaceAll("'", `'\\''`)}'`;
    const query = new URLSearchParams(e.query).toString();
    const parts = [`curl -X ${e.method} ${q(location.origin + e.path + (query ? "?" + query : ""))}`];
    for (const [name, value] of Object.entries(e.headers)) {
      if (!["x-api-key", "authorization", "content-type", "accept"].includes(name)) continue;
      let v = value;
      if (name === "x-api-key") v = (await fullKeyOf(e, value)) || value;
      if (name === "authorization") {
        const token = value.replace(/^Bearer /i, "");
        const full = await fullKeyOf(e, token);
        if (full) v = "Bearer " + full;
      }
      parts.push(`-H ${q(`${name}: ${v}`)}`);
    }
    if (e.body !== null && e.body !== undefined) parts.push(`--data-raw ${q(typeof e.body === "string" ? e.body : JSON.stringify(e.body))}`);
    return parts.join(" \\\n  ");
  }
  function entryDetails(e) {
    let curl = "";
    const out = el("output", { class: "copied", "aria-live": "polite" });
    const copy = el("button", { type: "button", class: "copy-curl", text: "Copy as curl", disabled: true });
    const curlPre = el("pre", { class: "curl", text: "…" });
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(curl);
        out.textContent = " copied";
      } catch (err) {
        const range = document.createRange();
        range.selectNodeContents(curlPre);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        out.textContent = " selected: press Ctrl+C to copy";
      }
    });
    const res = e.response;
    const keyNote = Object.keys(e.headers).some((h) => h === "x-api-key" || h === "authorization") ? "Keys are masked above; the curl command has the account's full key when the mock knows it." : "";
    const node = el("div", {},
      el("div", { class: "pair" },
        el("div", {}, el("h4", { text: "Request" }), el("pre", { text: `${e.method} ${e.path}\n` + Object.entries(e.headers).map(([k, v]) => `${k}: ${v}`).join("\n") }), e.body !== null ? el("pre", { text: pretty(e.body) }) : null),
        el("div", {}, el("h4", { text: res ? `Response ${res.status}` : "Response: none (connection dropped)" }), res ? el("pre", { text: Object.entries(res.headers).map(([k, v]) => `${k}: ${v}`).join("\n") }) : null, res && res.body !== null ? el("pre", { text: pretty(res.body) }) : null),
      ),
      el("p", {}, copy, out, " ", el("small", { class: "summary", text: keyNote })),
      curlPre,
    );
    let started = false;
    node.fillCurl = () => {
      // built when first shown: finding an ambiguous key's owner costs a request or two
      if (started) return;
      started = true;
      curlFor(e).then((text) => { curl = text; curlPre.textContent = text; copy.disabled = false; });
    };
    return node;
  }
  let filterTimer = 0;
  function filtersChanged() {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => { views.journal.stale = true; views.journal.last = 0; refresh(views.journal); }, 150);
  }
  $("#journal-filters").addEventListener("input", filtersChanged);
  $("#journal-filters").addEventListener("change", filtersChanged);
  $("#journal-filters").addEventListener("reset", () => setTimeout(filtersChanged, 0));
  $("#journal-filters").addEventListener("submit", (e) => { e.preventDefault(); filtersChanged(); });

  // ── webhooks ─────────────────────────────────────────────────────────
  defineView("webhooks", ["deliveries", "state"], 500, async () => {
    const { data } = await api("GET", "/webhooks/deliveries");
    const box = $("#deliveries");
    const byState = {};
    for (const d of data.deliveries) byState[d.state] = (byState[d.state] || 0) + 1;
    $("#hooks-summary").textContent = data.deliveries.length
      ? `${data.deliveries.length} deliver${data.deliveries.length === 1 ? "y" : "ies"}: ` + Object.entries(byState).map(([s, n]) => `${n} ${s}`).join(", ") + `. ${data.dropped} dropped from the log.`
      : "No webhook delivery yet. Set an account's webhookUrl (PUT /_mock/accounts/{apiKey}) and let an application finish.";
    box.replaceChildren(...data.deliveries.slice().reverse().map(deliveryBlock));
  });
  function deliveryBlock(d) {
    const key = `${d.deliveryId}/${d.copy}`;
    const block = el("details", { class: "delivery", "data-id": d.deliveryId, "data-state": d.state, open: world.openDeliveries.has(key) });
    block.addEventListener("toggle", () => { if (block.open) world.openDeliveries.add(key); else world.openDeliveries.delete(key); });
    block.append(el("summary", {},
      el("span", { class: `state-label state-${d.state}`, text: d.state }),
      el("span", { text: d.eventType }),
      el("code", { text: d.deliveryId }),
      d.copy ? el("span", { text: `copy ${d.copy}` }) : null,
      d.held ? el("span", { text: "held by a scenario" }) : null,
      el("span", { text: `${d.attempts.length} attempt(s)` }),
      d.nextAttemptAt ? el("span", { text: `next ${fmtTime(d.nextAttemptAt)}` }) : null,
    ));
    const table = el("table", { class: "attempts" },
      el("caption", { class: "vh", text: `attempts of ${d.deliveryId}` }),
      el("thead", {}, el("tr", {}, ...["#", "At (simulated)", "Status", "Latency ms", "Error"].map((t) => el("th", { scope: "col", text: t })))),
      el("tbody", {}, ...d.attempts.map((a) => el("tr", { class: "attempt" },
        el("td", { class: "num", text: a.attempt }),
        el("td", {}, el("time", { text: fmtTime(a.at) })),
        el("td", {}, el("span", { class: `status ${a.status && a.status < 300 ? "ok" : "err"}`, text: a.status ?? "no response" })),
        el("td", { class: "num", text: a.latencyMs }),
        el("td", { text: a.error || "" }),
      ))),
    );
    const redeliver = el("button", { type: "button", class: "redeliver", text: "Redeliver now", disabled: d.held });
    redeliver.addEventListener("click", async () => {
      redeliver.disabled = true;
      const { status, data } = await api("POST", `/webhooks/deliveries/${encodeURIComponent(d.deliveryId)}/redeliver`);
      toast(status === 200 ? `Redelivered: ${data.state} after attempt ${data.attempts.length}` : data && data.error ? data.error : `error ${status}`);
      redeliver.disabled = false;
    });
    block.append(el("p", {}, `${d.url} · queue `, el("code", { text: d.queueId })), table, el("p", {}, redeliver));
    return block;
  }

  // ── scenarios ────────────────────────────────────────────────────────
  defineView("scenarios", ["scenarios"], 500, async () => {
    const { data } = await api("GET", "/scenarios");
    const box = $("#sc-loaded");
    if (!data.scenarios.length) { box.replaceChildren(el("p", { class: "empty", text: "No scenario loaded: the mock behaves as the simulator decides." })); return; }
    box.replaceChildren(...data.scenarios.map((s) => {
      const state = typeof s.state === "string" ? s.state : JSON.stringify(s.state);
      const rules = el("table", { class: "rules" },
        el("thead", {}, el("tr", {}, ...["Rule", "Trigger", "Hits", "Remaining", "State"].map((t) => el("th", { scope: "col", text: t })))),
        el("tbody", {}, ...s.rules.map((r) => el("tr", { "data-rule": r.id },
          el("td", {}, el("code", { text: r.id }), r.name ? ` ${r.name}` : ""),
          el("td", { text: r.trigger || "" }),
          el("td", { class: "num", text: r.hits }),
          el("td", { class: "num", text: r.remaining === null ? "∞" : r.remaining }),
          el("td", { text: typeof r.state === "string" ? r.state : JSON.stringify(r.state) }),
        ))),
      );
      return el("div", { class: "scenario", "data-name": s.name },
        el("h3", {}, s.name, " ", el("small", { class: "summary", text: `from ${s.source} · per ${s.per || "global"} · state ${state}` })),
        s.description ? el("p", { class: "summary", text: s.description }) : null,
        el("div", { class: "table-wrap" }, rules));
    }));
  });
  let libraryLoaded = false;
  defineView("library", ["scenarios"], 500, async () => {
    if (libraryLoaded) return;
    const { data } = await api("GET", "/scenarios/library");
    libraryLoaded = true;
    const box = $("#sc-library");
    if (!data.files.length) { box.replaceChildren(el("p", { class: "empty", text: "No scenario library installed." })); return; }
    box.replaceChildren(el("ul", { class: "library" }, ...data.files.map((f) => {
      const load = el("button", { type: "button", text: "Load", disabled: !!f.error, "aria-label": `Load ${f.file}` });
      load.addEventListener("click", async () => {
        const res = await api("POST", `/scenarios/library/${encodeURIComponent(f.file)}`);
        toast(res.status === 201 ? `Loaded ${f.file}` : (res.data && res.data.error) || `error ${res.status}`);
      });
      const edit = el("button", { type: "button", text: "Edit a copy", "aria-label": `Copy ${f.file} into the editor` });
      edit.addEventListener("click", () => { $("#sc-yaml").value = f.text; $("#sc-yaml").focus(); });
      return el("li", {},
        el("div", { class: "row" }, load, edit, el("strong", { text: f.file }), el("span", { class: "summary", text: f.error ? f.error : `${f.rules} rule(s)` })),
        f.description ? el("p", { class: "summary", text: f.description }) : null,
        el("details", {}, el("summary", { text: "YAML" }), el("pre", { text: f.text })));
    })));
  });
  $("#sc-clear").addEventListener("click", async () => {
    await api("DELETE", "/scenarios");
    toast("Scenarios cleared");
  });
  $("#sc-paste").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("#sc-yaml").value;
    const box = $("#sc-error");
    const area = $("#sc-yaml");
    const { status, data } = await api("POST", "/scenarios", text, "application/yaml");
    if (status === 201) {
      box.replaceChildren();
      area.removeAttribute("aria-invalid");
      toast("Scenario loaded");
      return;
    }
    area.setAttribute("aria-invalid", "true");
    const line = data && data.line;
    const lines = text.split("\n");
    box.replaceChildren(
      el("strong", { text: line ? `Line ${line}: ` : "Invalid scenario: " }),
      data && data.reason ? data.reason : (data && data.error) || `error ${status}`,
      line && lines[line - 1] !== undefined ? el("pre", { text: `${line} | ${lines[line - 1]}` }) : null,
    );
    if (line) {
      // put the caret on the offending line, for keyboard users
      const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
      area.focus();
      area.setSelectionRange(start, start + (lines[line - 1] || "").length);
    }
  });

  // ── start ────────────────────────────────────────────────────────────
  const initial = tabs.find((t) => "#" + t.id.replace("tab-", "") === location.hash);
  if (initial) selectTab(initial, false);
  connect();
})();
