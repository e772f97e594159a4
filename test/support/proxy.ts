// A real HTTP(S) forward proxy (the `proxy` package) on 127.0.0.1 that requires Basic credentials and records
// what it was asked to do (e.g. "CONNECT 127.0.0.1:9000"). With `routes`, it tunnels a CONNECT target to another
// address: point a client at an address where nothing listens and route it to the server, and every request
// that succeeds provably went through the proxy.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createProxy } from "proxy";

export interface TestProxy {
  url: string;
  /** "<method> <target>" of every request, in order. */
  seen: string[];
  stop(): Promise<void>;
}

/**
 * Starts the proxy; only `username`/`password` are let through. `routes` maps a CONNECT target ("host:port") to
 * the address really dialled.
 */
export async function startProxy(
  username: string,
  password: string,
  routes: Record<string, string> = {},
): Promise<TestProxy> {
  const seen: string[] = [];
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const server = createProxy(createServer());
  server.authenticate = (req: IncomingMessage): boolean => {
    seen.push(`${req.method ?? ""} ${req.url ?? ""}`);
    const ok = req.headers["proxy-authorization"] === expected;
    // The proxy package dials req.url after authenticate() accepts: rewriting it here reroutes the tunnel.
    const route = req.method === "CONNECT" && req.url !== undefined ? routes[req.url] : undefined;
    if (ok && route !== undefined) req.url = route;
    return ok;
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
