/* The device registry: each device's connection, newest message, rate and rejections; filtered by
   line, kind, connection and state (kept in the address); devices with no signal first. */
"use strict";
(function () {
  const S = window.Seamline;
  const WIRE = { mqtt_json: "MQTT JSON", mqtt_binary: "MQTT binary", http_json: "HTTP JSON", http_binary: "HTTP binary", sparkplug: "Sparkplug B", opcua: "OPC UA", sim: "in process (simulator)", api: "HTTP API", import: "import" };
  const wire = (t) => S.t(WIRE[t] || t);
  const reason = (r) => S.t(r).replace(/_/g, " ");
  const STATE = { no_signal: ["✕", "no signal"], not_heard: ["–", "not heard yet"], live: ["✓", "live"] };
  const tbody = document.querySelector("#devices tbody");
  const params = new URLSearchParams(location.search);
  const filters = {
    line: [document.getElementById("f-line"), (d) => d.line || ""],
    kind: [document.getElementById("f-kind"), (d) => d.category],
    transport: [document.getElementById("f-transport"), (d) => d.transport || ""],
    state: [document.getElementById("f-state"), (d) => d.state],
  };
  const shownLabel = { kind: (v) => S.t(v), transport: wire, state: (v) => S.t(STATE[v][1]), line: (v) => v };

  function ago(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 120) return S.num(s) + " " + S.t("s");
    if (s < 7200) return S.num(Math.round(s / 60)) + " " + S.t("min");
    return S.num(s / 3600, 1) + " " + S.t("h");
  }

  function options(snap) {
    for (const [key, [sel, get]] of Object.entries(filters)) {
      const values = [...new Set(snap.devices.map(get).filter((v) => v))].sort();
      for (const v of values) {
        if (![...sel.options].some((o) => o.value === v)) sel.append(new Option(shownLabel[key](v), v));
      }
      if (params.get(key) && sel.value !== params.get(key)) sel.value = params.get(key);
    }
  }

  function totals(snap) {
    const i = snap.ingest;
    const set = (id, text) => (document.getElementById(id).textContent = text);
    set("t-devices", S.num(snap.devices.length));
    set("t-lost", S.num(snap.devices.filter((d) => d.state === "no_signal").length));
    set("t-rate", S.num(snap.devices.reduce((a, d) => a + d.rate_per_s, 0), 1));
    set("t-readings", S.num(i.readings_per_s));
    const why = Object.entries(i.rejected).map(([r, n]) => reason(r) + " " + S.num(n)).join(", ");
    set("t-rejected", S.num(i.rejected_total) + (why ? " (" + why + ")" : ""));
  }

  function draw(snap) {
    if (!snap) return;
    options(snap);
    totals(snap);
    const rows = snap.devices.filter((d) => Object.values(filters).every(([sel, get]) => !sel.value || get(d) === sel.value));
    const now = snap.now;
    const out = [];
    for (const d of rows) {
      const tr = S.el("tr", "dev " + d.state);
      tr.dataset.device = d.id;
      const name = S.el("td");
      if (d.workstation) {
        const a = S.el("a", "", d.id);
        a.href = "/machines/" + encodeURIComponent(d.id) + (params.get("lang") ? "?lang=" + params.get("lang") : "");
        name.append(a);
      } else name.textContent = d.id;
      const kind = S.el("td", "", S.t(d.category));
      kind.append(S.el("small", "muted", " " + d.machine_type));
      const [glyph, label] = STATE[d.state];
      const st = S.el("td", "state");
      const g = S.el("span", "sig " + d.state, glyph);
      g.setAttribute("aria-hidden", "true");
      st.append(g, " " + S.t(label) + (d.died ? " (" + S.t("died") + ")" : ""));
      const seen = S.el("td", "", d.last_received ? S.time(d.last_received, true) : "–");
      if (d.last_received) seen.append(S.el("small", "muted", " · " + ago(now - d.last_received) + " " + S.t("ago")));
      const rej = Object.entries(d.rejected);
      const rejCell = S.el("td", rej.length ? "bad" : "muted", rej.length ? rej.map(([r, n]) => reason(r) + " " + S.num(n)).join(", ") : S.t("none"));
      tr.append(name, kind, S.el("td", "", d.line || "–"), st, S.el("td", "", d.transport ? wire(d.transport) : "–"), seen, S.el("td", "num", S.num(d.messages)), S.el("td", "num", S.num(d.rate_per_s, 1) + " " + S.t("msg/s")), S.el("td", "num", S.num(d.sensors)), rejCell);
      out.push(tr);
    }
    tbody.replaceChildren(...out);
    document.getElementById("shown").textContent = S.num(rows.length) + " " + S.t("devices shown");
  }

  for (const [key, [sel]] of Object.entries(filters)) {
    sel.addEventListener("change", () => {
      if (sel.value) params.set(key, sel.value);
      else params.delete(key);
      history.replaceState(null, "", "?" + params.toString());
      draw(S.data);
    });
  }
  S.age(document.getElementById("age"));
  if (S.data) S.follow("devices", draw);
})();
