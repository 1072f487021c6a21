/* The factory big screen: built once, then updated in place from each snapshot, so that it can
   run for days without growing. */
"use strict";
(function () {
  const S = window.Seamline;
  const GLYPH = { running: "▶", idle: "❚❚", fault: "▲", off: "○", no_signal: "✕", unknown: "?" };
  const STATE_LABEL = { running: "running", idle: "idle", fault: "fault", off: "off", no_signal: "no signal", unknown: "unknown" };
  const linesEl = document.getElementById("lines");
  const cards = new Map();

  function fig(label, cls) {
    const d = S.el("div", "fig " + (cls || ""));
    d.append(S.el("dt", "", S.t(label)));
    const v = S.el("dd");
    d.append(v);
    return [d, v];
  }

  function card(line) {
    const c = S.el("article", "card");
    c.setAttribute("aria-label", line.name);
    const h = S.el("h3", "", line.name);
    const style = S.el("small");
    h.append(style);
    const figs = S.el("dl", "figs");
    const parts = {};
    for (const [key, label] of [["today", "Output today"], ["hour", "This hour"], ["eff", "Efficiency"], ["oee", "OEE"], ["dhu", "DHU"], ["wip", "WIP"]]) {
      const [d, v] = fig(label);
      figs.append(d);
      parts[key] = v;
    }
    const bar = S.el("div", "bar");
    const fill = S.el("i");
    bar.append(fill);
    bar.setAttribute("aria-hidden", "true");
    const machines = S.el("ul", "machines");
    machines.setAttribute("aria-label", line.name);
    c.append(h, figs, bar, machines);
    linesEl.append(c);
    return { style, parts, fill, machines, squares: new Map() };
  }

  function versus(el, made, target) {
    el.textContent = S.num(made);
    const small = S.el("small", "", target === null ? "" : " / " + S.num(target));
    el.append(small);
    el.classList.toggle("ahead", target !== null && made >= target && target > 0);
    el.classList.toggle("behind", target !== null && made < target);
  }

  function machines(view, line) {
    for (const m of line.machines) {
      let sq = view.squares.get(m.device);
      if (!sq) {
        sq = S.el("li", "m");
        view.machines.append(sq);
        view.squares.set(m.device, sq);
      }
      const state = m.state || "unknown";
      if (sq.dataset.state !== state) {
        sq.dataset.state = state;
        sq.className = "m " + state;
        sq.textContent = GLYPH[state] || "?";
      }
      const label = (m.workstation || m.device) + ": " + S.t(STATE_LABEL[state] || state) + (m.fault ? " (" + S.t("fault code") + " " + m.fault + ")" : "");
      if (sq.title !== label) {
        sq.title = label;
        sq.setAttribute("aria-label", label);
      }
    }
  }

  function list(el, items, empty) {
    el.replaceChildren();
    if (!items.length) {
      el.append(S.el("li", "none", S.t(empty)));
      return;
    }
    for (const [where, what, forMs] of items) {
      const li = S.el("li");
      li.append(S.el("span", "where", where), S.el("span", "what", what), S.el("span", "for", S.minutes(forMs) + " " + S.t("min")));
      el.append(li);
    }
  }

  function totals(f) {
    const el = document.getElementById("factory");
    el.replaceChildren();
    const add = (label, value) => {
      const d = S.el("div");
      d.append(S.el("dt", "", S.t(label)), S.el("dd", "", value));
      el.append(d);
    };
    add("Output today", S.num(f.output_today) + (f.target_today === null ? "" : " / " + S.num(f.target_today)));
    add("Efficiency", S.pct(f.efficiency_pct));
    add("OEE", S.pct(f.oee_pct));
    add("DHU", S.num(f.dhu, 1));
    add("WIP", S.num(f.wip_pieces));
  }

  function draw(snap) {
    if (!snap) return;
    const now = snap.server_ts || Date.now();
    totals(snap.factory);
    const alarms = [];
    for (const line of snap.lines) {
      let view = cards.get(line.id);
      if (!view) {
        view = card(line);
        cards.set(line.id, view);
      }
      view.style.textContent = line.style || "";
      versus(view.parts.today, line.output_today, line.target_today);
      versus(view.parts.hour, line.output_hour, line.target_hour);
      view.parts.eff.textContent = S.pct(line.efficiency_pct);
      view.parts.oee.textContent = S.pct(line.oee_pct);
      view.parts.dhu.textContent = S.num(line.dhu, 1);
      view.parts.wip.textContent = S.num(line.wip_pieces);
      const share = line.target_today ? Math.min(1, line.output_today / line.target_today) : 0;
      view.fill.style.width = (100 * share).toFixed(1) + "%";
      machines(view, line);
      for (const m of line.machines) {
        if (m.state === "fault" || m.state === "no_signal") {
          const what = S.t(STATE_LABEL[m.state]) + (m.fault ? " · " + S.t("fault code") + " " + m.fault : "");
          alarms.push([m.workstation || m.device, what, m.since ? now - m.since : 0]);
        }
      }
    }
    alarms.sort((a, b) => b[2] - a[2]);
    list(document.getElementById("alarms"), alarms.slice(0, 8), "No alarms");
    list(document.getElementById("stops"), snap.stops.map((s) => [s.workstation || s.line, S.t(s.reason), now - s.since]), "No stops");
    document.getElementById("clock").textContent = S.time(now);
  }

  const legend = document.getElementById("legend");
  for (const state of ["running", "idle", "fault", "off", "no_signal", "unknown"]) {
    const li = S.el("li");
    const dot = S.el("span", "dot " + state, GLYPH[state]);
    dot.setAttribute("aria-hidden", "true");
    li.append(dot, S.el("span", "", S.t(STATE_LABEL[state])));
    legend.append(li);
  }
  S.scale(document.getElementById("stage"));
  S.age(document.getElementById("age"));
  S.follow("floor", draw);
})();
