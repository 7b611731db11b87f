"use strict";
// The default cloudrim service: one single-threaded process per port. It answers every request with the port
// and pid that served it, the instance it runs on and the change it runs (CLOUDRIM_INSTANCE_ID and
// CLOUDRIM_RELEASE, set by the user data), so a caller can see the per-port topology and watch a rollout move;
// /work adds CPU-bound work (pbkdf2) so that benchmarks measure cores, not the network stack. HEALTH_PATH, when set, is the load
// balancers' HTTP health check: it answers 200 there while the process serves.
const http = require("node:http");
const crypto = require("node:crypto");

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a TCP port (1-65535), got ${JSON.stringify(process.env.PORT)}`);
  process.exit(64);
}
const healthPath = process.env.HEALTH_PATH || undefined;
const instance = process.env.CLOUDRIM_INSTANCE_ID || null;
const release = process.env.CLOUDRIM_RELEASE || null;
const MAX_ROUNDS = 1000000;

const server = http.createServer((req, res) => {
  const url = new URL(req.url || "/", "http://localhost");
  const body = { port, pid: process.pid, instance, release };
  if (url.pathname === healthPath) body.status = "ok";
  if (url.pathname === "/work") {
    const rounds = Math.min(Math.max(Number(url.searchParams.get("rounds")) || 2000, 1), MAX_ROUNDS);
    body.rounds = rounds;
    body.digest = crypto.pbkdf2Sync("cloudrim", String(port), rounds, 16, "sha256").toString("hex");
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
});

server.listen(port, process.env.HOST, () => {
  console.log(
    `cloudrim listening on port ${port} (pid ${process.pid})${healthPath ? `, health on ${healthPath}` : ""}`,
  );
});

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
