import { connect, createServer } from "node:net";
import { waitFor } from "./wait.js";

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Polls `url` until it answers 2xx or the deadline passes. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  await waitFor(
    `${url} to answer 2xx`,
    async () => {
      const res = await fetch(url);
      await res.body?.cancel();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return true;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/**
 * Polls until 127.0.0.1:port accepts TCP connections (for servers without a plain-HTTP health URL: TLS-only
 * MinIO, slapd). Gives up early when `exited()` says the server died.
 */
export async function waitForTcp(
  port: number,
  timeoutMs: number,
  exited: () => boolean = () => false,
): Promise<void> {
  let died = false;
  await waitFor(
    `127.0.0.1:${port} to accept connections`,
    async () => {
      // Stop polling at once when the server died: the timeout error then says so.
      if (died || exited()) return (died = true);
      return new Promise<boolean>((resolve) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.destroy();
          resolve(true);
        });
        socket.on("error", () => {
          resolve(false);
        });
      });
    },
    { timeoutMs, intervalMs: 100 },
  );
  if (died) throw new Error("the server exited");
}
