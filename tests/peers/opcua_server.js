// A node-opcua server shaped like a cutting-room PLC, for Seamline's tests.
//
//   node opcua_server.js --port 4841 [--pki DIR] [--tick-ms 100]
//
// Exposes, in namespace "urn:seamline-test:node-opcua":
//   Objects/Cutting/Cutter2/{knife_rpm (Double), knife_temp_c (Float), cut_speed_mm_s (Float)}
//   Objects/Cutting/Cutter1 with string node ids Cutter1.KnifeRpm (Double), Cutter1.State (Int32),
//   Cutter1.Io001 (Boolean)
// Every tick, knife_rpm and Cutter1.KnifeRpm take the next value (1000 + tick) with the time of
// the tick; the Float variables keep 36.6 and 12.3 (values a float32 cannot hold exactly).
// Prints one JSON line per event on stdout: {"event": "ready", "url", "ns", "ts_ms"} once listening,
// {"event": "stopped"} after a graceful shutdown on SIGTERM (or SIGINT).
"use strict";
const path = require("path");
const os = require("os");
const { OPCUAServer, DataType, Variant, StatusCodes, OPCUACertificateManager } = require("node-opcua");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const NS_URI = "urn:seamline-test:node-opcua";
const port = Number(arg("port", "4841"));
const tickMs = Number(arg("tick-ms", "100"));
const pki = arg("pki", path.join(os.tmpdir(), "seamline-node-opcua-pki"));

function say(event) {
  process.stdout.write(JSON.stringify(event) + "\n");
}

async function main() {
  const serverCertificateManager = new OPCUACertificateManager({
    automaticallyAcceptUnknownCertificate: true,
    rootFolder: path.join(pki, "server"),
  });
  // both certificate stores under --pki, so nothing is written to the user's home directory
  const userCertificateManager = new OPCUACertificateManager({
    automaticallyAcceptUnknownCertificate: true,
    rootFolder: path.join(pki, "user"),
  });
  const server = new OPCUAServer({
    port,
    resourcePath: "/plc",
    serverCertificateManager,
    userCertificateManager,
    buildInfo: { productName: "Seamline test PLC (node-opcua)" },
  });
  await server.initialize();
  const ns = server.engine.addressSpace.registerNamespace(NS_URI);
  const objects = server.engine.addressSpace.rootFolder.objects;
  const cutting = ns.addFolder(objects, { browseName: "Cutting", nodeId: "s=Cutting" });
  const cutter1 = ns.addObject({ organizedBy: cutting, browseName: "Cutter1", nodeId: "s=Cutter1" });
  const cutter2 = ns.addObject({ organizedBy: cutting, browseName: "Cutter2", nodeId: "s=Cutter2" });
  const v = {};
  const add = (owner, browseName, nodeId, dataType, value) => {
    v[nodeId] = ns.addVariable({
      componentOf: owner,
      browseName,
      nodeId: `s=${nodeId}`,
      dataType,
      value: new Variant({ dataType, value }),
    });
  };
  add(cutter1, "KnifeRpm", "Cutter1.KnifeRpm", DataType.Double, 0);
  add(cutter1, "State", "Cutter1.State", DataType.Int32, 2);
  add(cutter1, "Io001", "Cutter1.Io001", DataType.Boolean, true);
  add(cutter2, "knife_rpm", "Cutter2.knife_rpm", DataType.Double, 0);
  add(cutter2, "knife_temp_c", "Cutter2.knife_temp_c", DataType.Float, 36.6);
  add(cutter2, "cut_speed_mm_s", "Cutter2.cut_speed_mm_s", DataType.Float, 12.3);

  let tick = 0;
  const timer = setInterval(() => {
    tick += 1;
    const now = new Date();
    for (const id of ["Cutter1.KnifeRpm", "Cutter2.knife_rpm"]) {
      v[id].setValueFromSource(
        new Variant({ dataType: DataType.Double, value: 1000 + tick }),
        StatusCodes.Good,
        now,
      );
    }
  }, tickMs);

  await server.start();
  say({ event: "ready", url: server.getEndpointUrl(), ns: ns.index, ts_ms: Date.now() });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await server.shutdown(200); // graceful: the server says it is shutting down, then closes
    say({ event: "stopped", ts_ms: Date.now() });
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  process.stderr.write(`opcua_server.js: ${err.stack || err}\n`);
  process.exit(1);
});
