/* The line board: a supervisor's tablet page for one line, updated in place from each snapshot of
   topic line:<id>. Lists are keyed by id, so a snapshot never resets a reason being chosen. Writes
   go through the outbox (outbox.js): offline, they wait on the tablet and are sent once later. */
"use strict";
(function () {
  const S = window.Seamline;
  const GLYPH = { running: "▶", idle: "❚❚", fault: "▲", off: "○", no_signal: "✕", unknown: "?" };
  const STATE_LABEL = { running: "running", idle: "idle", fault: "fault", off: "off", no_signal: "no signal", unknown: "unknown" };
  const RESOLVABLE = new Set(["predecessor_missing", "operator_not_logged_in"]); // the server can count these
  const $ = (id) => document.getElementById(id);
  const pending = new Map(); // "stop:<id>" | "exc:<id>" -> what was sent ("sending" | "waiting" | "sent")
  let snap = S.data;
  let chart = null;
  let chartKey = "";

  /* A code (thread_break, unknown_bundle) as words: its translation, else in English as words. */
  function words(code) {
    const shown = S.t(code);
    if (shown !== code) return shown;
    const w = code.replace(/_/g, " ");
    return w.charAt(0).toUpperCase() + w.slice(1);
  }

  function who() {
    return document.body.dataset.user || undefined; // the server records the signed-in user anyway
  }

  /* Keep el's children in the order of items, one per key: existing rows are updated in place and
     only moved when they are out of place, so focus and a half-made choice survive a snapshot. */
  function keyed(el, rows, items, key, make, update) {
    const seen = new Set();
    items.forEach((item, i) => {
      const k = String(key(item));
      seen.add(k);
      let row = rows.get(k);
      if (!row) {
        row = make(item);
        rows.set(k, row);
      }
      update(row, item);
      if (el.children[i] !== row) el.insertBefore(row, el.children[i] || null);
    });
    for (const [k, row] of rows) {
      if (!seen.has(k)) {
        row.remove();
        rows.delete(k);
      }
    }
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  // -- head: line, switch, figures ---------------------------------------------------------------

  function head(d) {
    setText($("line-name"), d.line.name);
    setText($("style"), d.style_name ? d.style + " · " + d.style_name : d.style || "");
    setText($("clock"), S.time(d.server_ts || d.now));
    const nav = $("switch");
    if (!nav.children.length) {
      for (const ln of d.lines) {
        const a = S.el("a", "btn", ln.id);
        a.href = "/lines/" + encodeURIComponent(ln.id) + location.search;
        a.setAttribute("aria-label", ln.id + " · " + ln.name);
        if (ln.id === d.line.id) a.setAttribute("aria-current", "page");
        nav.append(a);
      }
    }
    const t = d.totals;
    const figs = $("figs");
    figs.replaceChildren();
    const add = (label, value, cls, small) => {
      const div = S.el("div", "fig");
      const dd = S.el("dd", cls || "", value);
      if (small) dd.append(S.el("small", "", small));
      div.append(S.el("dt", "", S.t(label)), dd);
      figs.append(div);
    };
    const vs = (made, target) => (target === null ? "" : made >= target && target > 0 ? "ahead" : made < target ? "behind" : "");
    add("Output today", S.num(t.output_today), vs(t.output_today, t.target_today), t.target_today === null ? "" : " / " + S.num(t.target_today));
    add("This hour", S.num(t.output_hour), vs(t.output_hour, t.target_hour), t.target_hour === null ? "" : " / " + S.num(t.target_hour));
    add("Efficiency", S.pct(t.efficiency_pct));
    add("WIP", S.num(d.wip.pieces), "", " " + S.t("pieces"));
    const b = d.wip.operations.find((o) => o.operation === d.bottleneck);
    add("Bottleneck", b ? "⚠ " + b.operation : "–", b ? "bneck" : "", b ? " " + b.name : "");
  }

  // -- hourly output against target (ECharts) ----------------------------------------------------

  function hours(d) {
    const rows = d.hours.filter((h) => h.output > 0 || (h.target !== null && h.target > 0) || h.start >= d.now - 3600000);
    const key = JSON.stringify(rows);
    if (key === chartKey) return;
    chartKey = key;
    const el = $("hours-chart");
    const labels = rows.map((h) => S.time(h.start));
    const made = rows.reduce((a, h) => a + h.output, 0);
    const aim = rows.reduce((a, h) => a + (h.target || 0), 0);
    el.setAttribute("aria-label", S.t("Hourly output against target") + ": " + S.t("Output") + " " + S.num(made) + ", " + S.t("Target") + " " + S.num(aim));
    if (!chart) {
      chart = echarts.init(el, null, { renderer: "canvas" });
      window.addEventListener("resize", () => chart.resize());
    }
    chart.setOption({
      animation: false,
      aria: { enabled: false },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      legend: { top: 0, right: 8, textStyle: { fontSize: 14, color: "#14212b" }, data: [S.t("Output"), S.t("Target")] },
      tooltip: { trigger: "axis", confine: true, valueFormatter: (v) => S.num(v) },
      xAxis: { type: "category", data: labels, axisLabel: { fontSize: 13, color: "#33414d" } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: 13, color: "#33414d", formatter: (v) => S.num(v) } },
      series: [
        {
          name: S.t("Output"),
          type: "bar",
          data: rows.map((h) => h.output),
          itemStyle: { color: "#0072b2" },
          barMaxWidth: 38,
          label: { show: rows.length <= 14, position: "top", fontSize: 13, color: "#14212b", formatter: (p) => (p.value ? S.num(p.value) : "") },
        },
        {
          name: S.t("Target"),
          type: "line",
          step: "middle",
          data: rows.map((h) => (h.target === null ? null : Math.round(h.target))),
          symbol: "diamond",
          symbolSize: 9,
          lineStyle: { color: "#14212b", width: 2, type: "dashed" },
          itemStyle: { color: "#14212b" },
        },
      ],
    }, true);
  }

  // -- seats ---------------------------------------------------------------------------------------

  const seatRows = new Map();
  function makeSeat() {
    const li = S.el("li", "seat");
    const top = S.el("div", "seat-top");
    const pos = S.el("a", "pos");  // to the seat's machine page
    const state = S.el("span", "state");
    const dot = S.el("b", "dot");
    dot.setAttribute("aria-hidden", "true");
    const label = S.el("span");
    state.append(dot, label);
    top.append(pos, state);
    const person = S.el("div", "person");
    const ops = S.el("div", "ops");
    const nums = S.el("div", "nums");
    const tag = S.el("div", "tag");
    li.append(top, person, ops, nums, tag);
    li._p = { pos, dot, label, person, ops, nums, tag };
    return li;
  }
  function updateSeat(li, s) {
    const p = li._p;
    const state = s.state || "unknown";
    setText(p.pos, s.position + " · " + s.workstation);
    const href = s.device ? "/machines/" + encodeURIComponent(s.device) + location.search : "";
    if (p.pos.getAttribute("href") !== href) {
      if (href) p.pos.setAttribute("href", href);
      else p.pos.removeAttribute("href");
    }
    p.dot.className = "dot " + state;
    setText(p.dot, GLYPH[state] || "?");
    setText(p.label, S.t(STATE_LABEL[state] || state) + (s.fault ? " · " + S.t("fault code") + " " + s.fault : ""));
    li.dataset.state = state;
    if (s.operator) {
      setText(p.person, s.operator.name);
      p.person.classList.remove("none");
    } else {
      setText(p.person, S.t("no operator"));
      p.person.classList.add("none");
    }
    setText(p.ops, s.operations.length ? s.operations.join(" · ") : "–");
    setText(p.nums, S.num(s.pieces) + " " + S.t("pieces") + " · " + S.pct(s.efficiency_pct));
    const bneck = snap.bottleneck && s.operations.includes(snap.bottleneck);
    setText(p.tag, bneck ? "⚠ " + S.t("Bottleneck") : "");
    li.classList.toggle("bneck", !!bneck);
  }

  // -- downtime ------------------------------------------------------------------------------------

  const stopRows = new Map();
  function makeStop(s) {
    const li = S.el("li", "item");
    const line1 = S.el("div", "l1");
    const when = S.el("span", "when");
    const where = S.el("span", "where");
    const dur = S.el("span", "dur");
    line1.append(when, where, dur);
    const why = S.el("div", "why");
    const act = S.el("div", "act");
    li.append(line1, why, act);
    li._p = { when, where, dur, why, act, mode: "" };
    li.dataset.id = s.id;
    return li;
  }
  function updateStop(li, s) {
    const p = li._p;
    setText(p.when, S.time(s.start) + (s.end ? "–" + S.time(s.end) : " · " + S.t("ongoing")));
    setText(p.where, s.workstation || s.device);
    setText(p.dur, S.minutes(s.duration_s * 1000) + " " + S.t("min"));
    const unassigned = s.reason === "unassigned";
    const sent = pending.get("stop:" + s.id);
    if (!unassigned && sent) pending.delete("stop:" + s.id);
    li.classList.toggle("open", unassigned);
    const source = s.source === "state" ? S.t("from machine state") : S.t("reported");
    setText(p.why, (unassigned ? "⚠ " : "") + words(s.reason) + " · " + source + (s.assigned_by ? " · " + S.t("by") + " " + s.assigned_by : ""));
    const mode = unassigned ? (pending.get("stop:" + s.id) ? "pending:" + pending.get("stop:" + s.id) : "pick") : "done";
    if (mode === p.mode) return;
    p.mode = mode;
    p.act.replaceChildren();
    if (mode === "pick") {
      const select = S.el("select", "reason");
      select.setAttribute("aria-label", S.t("Choose a reason") + " · " + (s.workstation || s.device) + " " + S.time(s.start));
      select.append(new Option(S.t("Choose a reason"), ""));
      for (const r of snap.reasons) select.append(new Option(words(r), r));
      const button = S.el("button", "btn primary", S.t("Assign"));
      button.type = "button";
      button.addEventListener("click", () => assign(s, select));
      p.act.append(select, button);
    } else if (mode.startsWith("pending:")) {
      p.act.append(S.el("span", "pending", "↻ " + S.t("Waiting to be sent")));
    }
  }
  function assign(s, select) {
    const reason = select.value;
    if (!reason) {
      select.focus();
      return;
    }
    const k = "stop:" + s.id;
    pending.set(k, reason);
    draw(snap);
    const body = { reason };
    const by = who();
    if (by) body.by = by;
    S.outbox
      .send("POST", "/api/v1/production/downtime/" + s.id + "/reason", body, S.t("Assign") + " " + (s.workstation || s.device))
      .catch((err) => refused(k, err));
  }

  // -- scan exceptions -----------------------------------------------------------------------------

  const excRows = new Map();
  function makeExc(x) {
    const li = S.el("li", "item open");
    const line1 = S.el("div", "l1");
    const when = S.el("span", "when");
    const what = S.el("span", "where");
    line1.append(when, what);
    const facts = S.el("dl", "facts");
    const act = S.el("div", "act");
    li.append(line1, facts, act);
    li._p = { when, what, facts, act, mode: "" };
    li.dataset.id = x.id;
    return li;
  }
  function updateExc(li, x) {
    const p = li._p;
    setText(p.when, S.time(x.ts));
    setText(p.what, "⚠ " + words(x.reason));
    const facts = [["bundle", x.bundle], ["operation", x.operation], ["operator", x.operator]].filter((f) => f[1]);
    const key = JSON.stringify(facts);
    if (p.facts.dataset.key !== key) {
      p.facts.dataset.key = key;
      p.facts.replaceChildren();
      for (const [label, value] of facts) {
        const div = S.el("div");
        div.append(S.el("dt", "", S.t(label)), S.el("dd", "", String(value)));
        p.facts.append(div);
      }
    }
    const mode = pending.get("exc:" + x.id) ? "pending" : "decide";
    if (mode === p.mode) return;
    p.mode = mode;
    p.act.replaceChildren();
    if (mode === "decide") {
      if (RESOLVABLE.has(x.reason) && x.kind === "scan") {
        const ok = S.el("button", "btn primary", S.t("Resolve"));
        ok.type = "button";
        ok.setAttribute("aria-label", S.t("Resolve") + " · " + words(x.reason) + " " + S.time(x.ts));
        ok.addEventListener("click", () => decide(x, "resolve"));
        p.act.append(ok);
      }
      const no = S.el("button", "btn", S.t("Void"));
      no.type = "button";
      no.setAttribute("aria-label", S.t("Void") + " · " + words(x.reason) + " " + S.time(x.ts));
      no.addEventListener("click", () => decide(x, "void"));
      p.act.append(no);
    } else {
      p.act.append(S.el("span", "pending", "↻ " + S.t("Waiting to be sent")));
    }
  }
  function decide(x, action) {
    const k = "exc:" + x.id;
    pending.set(k, action);
    draw(snap);
    S.outbox
      .send("POST", "/api/v1/production/exceptions/" + x.id + "/" + action, action === "resolve" ? {} : undefined, S.t(action === "resolve" ? "Resolve" : "Void") + " " + (x.bundle || x.device))
      .catch((err) => refused(k, err));
  }
  function refused(k, err) {
    pending.delete(k);
    const box = $("outbox");
    box.textContent = "✕ " + S.t("Refused") + ": " + err.message;
    box.className = "outbox refused";
    draw(snap);
  }

  // -- WIP between operations ----------------------------------------------------------------------

  const wipRows = new Map();
  function makeWip() {
    const li = S.el("li");
    const name = S.el("span", "op");
    const bar = S.el("span", "bar");
    const fill = S.el("i");
    bar.append(fill);
    bar.setAttribute("aria-hidden", "true");
    const n = S.el("span", "n");
    li.append(name, bar, n);
    li._p = { name, fill, n };
    return li;
  }
  function wip(d) {
    const ops = d.wip.operations;
    const most = Math.max(1, ...ops.map((o) => o.pieces));
    keyed($("wip"), wipRows, ops, (o) => o.operation, makeWip, (li, o) => {
      const b = o.operation === d.bottleneck;
      li.className = b ? "bneck" : "";
      setText(li._p.name, (b ? "⚠ " : "") + o.operation + " " + o.name);
      li._p.fill.style.width = ((100 * o.pieces) / most).toFixed(1) + "%";
      setText(li._p.n, (b ? S.t("Bottleneck") + " · " : "") + S.num(o.pieces) + " " + S.t("waiting") + " · " + S.num(o.bundles) + " " + S.t("bundles") + " · " + S.num(o.done_today) + " " + S.t("done today"));
    });
  }

  function empty(el, items, text) {
    let none = el.querySelector(".none");
    if (items.length) {
      if (none) none.remove();
    } else if (!none) {
      none = S.el("li", "none", S.t(text));
      el.append(none);
    }
  }

  function draw(d) {
    if (!d) return;
    snap = d;
    head(d);
    hours(d);
    keyed($("seats"), seatRows, d.seats, (s) => s.workstation, makeSeat, updateSeat);
    keyed($("stops"), stopRows, d.stops, (s) => s.id, makeStop, updateStop);
    empty($("stops"), d.stops, "No stops today");
    setText($("stops-count"), d.stops_unassigned ? "⚠ " + S.num(d.stops_unassigned) + " " + words("unassigned") : "");
    for (const k of [...pending.keys()]) {
      if (k.startsWith("exc:") && !d.exceptions.some((x) => "exc:" + x.id === k)) pending.delete(k);
    }
    keyed($("exceptions"), excRows, d.exceptions, (x) => x.id, makeExc, updateExc);
    empty($("exceptions"), d.exceptions, "No open exceptions");
    setText($("exc-count"), d.exceptions_open ? S.num(d.exceptions_open) : "");
    wip(d);
  }

  function outboxState(n) {
    const box = $("outbox");
    const offline = !navigator.onLine;
    const text = (offline ? "✕ " + S.t("Offline") + " · " : "") + (n ? "↻ " + S.t("Waiting to send") + ": " + S.num(n) : "✓ " + S.t("All sent"));
    box.textContent = text;
    box.className = "outbox" + (offline ? " offline" : "") + (n ? " waiting" : "");
    box.dataset.pending = n;
  }

  const legend = $("legend");
  for (const state of ["running", "idle", "fault", "off", "no_signal", "unknown"]) {
    const li = S.el("li");
    const dot = S.el("span", "dot " + state, GLYPH[state]);
    dot.setAttribute("aria-hidden", "true");
    li.append(dot, S.el("span", "", S.t(STATE_LABEL[state])));
    legend.append(li);
  }
  S.outbox.onChange(outboxState);
  window.addEventListener("online", () => outboxState(S.outbox.pending()));
  window.addEventListener("offline", () => outboxState(S.outbox.pending()));
  S.age($("age"));
  S.follow("line:" + snap.line.id, draw);
})();
