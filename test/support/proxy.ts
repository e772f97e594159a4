// A real HTTP(S) forward proxy (the `proxy` package) on 127.0.0.1 that requires Basic credentials and records
// what it was asked to do (e.g. "CONNECT 127.0.0.1:9000").
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createProxy } from "proxy";

export interface TestProxy {
  url: string;
  /** "<method> <target>" of every request, in order. */
  seen: string[];
  stop(): Promise<void>;
}

/** Starts the proxy; only `username`/`password` are let through. */
export async function startProxy(username: string, password: string): Promise<TestProxy> {
  const seen: string[] = [];
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const server = createProxy(createServer());
  server.authenticate = (req: IncomingMessage): boolean => {
    seen.push(`${req.method ?? ""} ${req.url ?? ""}`);
    return req.headers["proxy-authorization"] === expected;
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
