"use strict";
// The usual alternative to per-port processes: Node's cluster module, WORKERS workers sharing one port.
const cluster = require("node:cluster");
const path = require("node:path");

if (cluster.isPrimary) {
  const workers = Number(process.env.WORKERS);
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers)) worker.kill();
    process.exit(0);
  });
} else {
  require(path.join(__dirname, "..", "app", "server.js"));
}
