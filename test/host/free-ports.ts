import { createServer } from "node:net";

/** Whether nothing listens on `port` on loopback right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => {
      resolve(false);
    });
    server.listen(port, "127.0.0.1", () =>
      server.close(() => {
        resolve(true);
      }),
    );
  });
}

/**
 * A base port whose instance range (base …) and stand-in range (base + 1000 …) are all free now. Picked
 * below Linux's ephemeral range (32768 on), where the kernel hands out the client ports of every other
 * suite running beside this one, and at random so parallel host suites rarely try the same range.
 */
export async function freeBase(processes: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10000 + Math.floor(Math.random() * 210) * 100;
    const instancePorts = [...Array(processes).keys()].map((i) => base + i);
    const standInPorts = [...Array(processes + 1).keys()].map((i) => base + 1000 + i);
    const free = [];
    for (const port of [...instancePorts, ...standInPorts]) free.push(await portFree(port));
    if (free.every(Boolean)) return base;
  }
  throw new Error("no free port range found below 32768");
}
