import { request } from "node:http";
import { connect } from "node:net";

/**
 * One health check of an instance port, as the load balancer's: a TCP connection, or an HTTP GET of `path`
 * that must answer 200; within `timeoutMs`.
 */
export function probe(address: string, port: number, path: string | undefined, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      done(false);
    }, timeoutMs);
    let settled = false;
    const cleanups: (() => void)[] = [];
    const done = (passed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
      resolve(passed);
    };
    if (path === undefined) {
      const socket = connect({ host: address, port });
      cleanups.push(() => socket.destroy());
      socket.once("connect", () => {
        done(true);
      });
      socket.once("error", () => {
        done(false);
      });
      return;
    }
    const req = request({ host: address, port, path, agent: false, method: "GET" }, (response) => {
      response.resume();
      done(response.statusCode === 200);
    });
    cleanups.push(() => req.destroy());
    req.once("error", () => {
      done(false);
    });
    req.end();
  });
}
