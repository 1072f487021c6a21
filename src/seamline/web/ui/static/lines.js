/* The line picker: one large card per line (a link to its board) with today's figures, following
   the big screen's topic. */
"use strict";
(function () {
  const S = window.Seamline;
  const GLYPH = { running: "▶", idle: "❚❚", fault: "▲", off: "○", no_signal: "✕", unknown: "?" };
  const STATE_LABEL = { running: "running", idle: "idle", fault: "fault", off: "off", no_signal: "no signal", unknown: "unknown" };
  const picker = document.getElementById("picker");
  const cards = new Map();

  function card(line) {
    const li = S.el("li");
    const a = S.el("a", "line-card");
    a.href = "/lines/" + encodeURIComponent(line.id) + location.search;
    const h = S.el("h2", "", line.name);
    const figs = S.el("dl", "mini");
    const states = S.el("ul", "state-counts");
    a.append(h, figs, states);
    li.append(a);
    picker.append(li);
    return { figs, states };
  }

  function draw(snap) {
    if (!snap) return;
    for (const line of snap.lines) {
      let c = cards.get(line.id);
      if (!c) {
        c = card(line);
        cards.set(line.id, c);
      }
      c.figs.replaceChildren();
      const add = (label, value) => {
        const d = S.el("div");
        d.append(S.el("dt", "", S.t(label)), S.el("dd", "", value));
        c.figs.append(d);
      };
      add("Output today", S.num(line.output_today) + (line.target_today === null ? "" : " / " + S.num(line.target_today)));
      add("This hour", S.num(line.output_hour) + (line.target_hour === null ? "" : " / " + S.num(line.target_hour)));
      add("Efficiency", S.pct(line.efficiency_pct));
      add("WIP", S.num(line.wip_pieces));
      add("Bottleneck", line.bottleneck || "–");
      const counts = {};
      for (const m of line.machines) {
        const s = m.state || "unknown";
        counts[s] = (counts[s] || 0) + 1;
      }
      c.states.replaceChildren();
      for (const s of Object.keys(GLYPH)) {
        if (!counts[s]) continue;
        const li = S.el("li");
        const dot = S.el("span", "dot " + s, GLYPH[s]);
        dot.setAttribute("aria-hidden", "true");
        li.append(dot, S.el("span", "", S.num(counts[s]) + " " + S.t(STATE_LABEL[s])));
        c.states.append(li);
      }
    }
  }

  S.follow("floor", draw);
})();
