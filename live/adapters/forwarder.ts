import { connect, createServer, type Server } from "node:net";

/**
 * Forwards TCP from `listenHost:port` to `127.0.0.1:port`: an instance in a namespace reaches the local AWS,
 * which listens on loopback only, through its side of its link.
 */
export function startForwarder(listenHost: string, port: number): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect({ host: "127.0.0.1", port });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, listenHost, () => {
      resolve(server);
    });
  });
}

export function stopServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}
