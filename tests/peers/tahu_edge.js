// An Eclipse Tahu Sparkplug B edge node (sparkplug-client) playing a scenario, for Seamline's tests.
//
//   node tahu_edge.js SCENARIO.json
//
// The scenario (written by the test):
//   { "url", "groupId", "edgeNode", "clientId", "device",
//     "options": {} | {"compress": true} | {"compress": true, "algorithm": "GZIP"},
//     "nodeBirth": [metric...], "deviceBirth": [metric...], "data": [[metric...], ...],
//     "dataBeforeBirth": [metric...] | null }
// A metric is {name?, alias?, type, value, timestamp?} as sparkplug-payload takes it.
//
// On connecting: DDATA "dataBeforeBirth" first if given (a node the host has not seen born),
// then waits for the host's Rebirth request; else at once NBIRTH and DBIRTH. Then every message of
// "data" as DDATA (seq wraps past 255 when there are enough), a DDEATH and, on stop, the NDEATH.
// A Rebirth request at any time publishes the births again. Everything is published with the
// scenario's options (compressed or not). Prints JSON lines: {"event": "rebirth_requested"},
// {"event": "births"}, {"event": "done", "rebirths": n, "data": n}.
"use strict";
const fs = require("fs");
const sparkplug = require("sparkplug-client");

const scenario = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const opts = scenario.options || {};
const say = (event) => process.stdout.write(JSON.stringify(event) + "\n");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const copy = (metrics) => metrics.map((m) => ({ ...m }));

const client = sparkplug.newClient({
  serverUrl: scenario.url,
  groupId: scenario.groupId,
  edgeNode: scenario.edgeNode,
  clientId: scenario.clientId,
  username: null,
  password: null,
  publishDeath: true,
  version: "spBv1.0",
});

let rebirths = 0;
let born = null; // resolves once the births are out
let bornResolve;
born = new Promise((resolve) => (bornResolve = resolve));

function publishBirths() {
  client.publishNodeBirth({ timestamp: Date.now(), metrics: copy(scenario.nodeBirth) }, opts);
  client.publishDeviceBirth(scenario.device, { timestamp: Date.now(), metrics: copy(scenario.deviceBirth) }, opts);
  say({ event: "births" });
  bornResolve();
}

client.on("ncmd", (payload) => {
  const rebirth = (payload.metrics || []).find((m) => m.name === "Node Control/Rebirth");
  if (rebirth && rebirth.value) {
    rebirths += 1;
    say({ event: "rebirth_requested" });
    publishBirths();
  }
});

client.on("error", (err) => {
  process.stderr.write(`tahu_edge.js: ${err.stack || err}\n`);
  process.exit(2);
});

let started = false;
client.on("birth", async () => {
  if (started) return; // a reconnect of the MQTT client; the test's broker stays up
  started = true;
  if (scenario.dataBeforeBirth) {
    client.publishDeviceData(scenario.device, { timestamp: Date.now(), metrics: copy(scenario.dataBeforeBirth) }, opts);
  } else {
    publishBirths();
  }
  await born;
  let n = 0;
  for (const metrics of scenario.data) {
    client.publishDeviceData(scenario.device, { timestamp: Date.now(), metrics: copy(metrics) }, opts);
    n += 1;
    if (n % 25 === 0) await sleep(5); // let the socket drain; QoS 0 has no flow control
  }
  client.publishDeviceDeath(scenario.device, { timestamp: Date.now(), metrics: [] });
  await sleep(200);
  client.client.once("close", () => {
    say({ event: "done", rebirths, data: n });
    process.exit(0);
  });
  client.stop(); // publishes the NDEATH (publishDeath), then disconnects
});
