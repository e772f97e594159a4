// Starts a real Toxiproxy (built by scripts/test-servers.sh) on 127.0.0.1 and drives it through its HTTP API:
// TCP proxies whose downstream traffic can be cut, reset, slowed or stalled (toxics) while a test runs.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, waitForHttp } from "./ports.js";
import { stopProcess } from "./stop-process.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const TOXIPROXY_BIN = path.join(repoRoot, ".cache/bin/toxiproxy-server");

/** A toxic as Toxiproxy's API takes it; `attributes` depend on the type (e.g. limit_data: { bytes }). */
export interface Toxic {
  name: string;
  type: "limit_data" | "reset_peer" | "timeout" | "bandwidth" | "latency" | "slicer" | "slow_close";
  stream?: "downstream" | "upstream";
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface ToxiproxyServer {
  apiUrl: string;
  /** Creates (enabled) a proxy named `name` from a free loopback port to `upstream` (host:port); returns host:port. */
  createProxy(name: string, upstream: string): Promise<string>;
  /** Adds a toxic; it applies to the proxy's open connections too. */
  addToxic(proxy: string, toxic: Toxic): Promise<void>;
  /** Removes every toxic of every proxy. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts toxiproxy-server; fails (never skips) when the binary is missing: run `npm run test-servers`. */
export async function startToxiproxy(): Promise<ToxiproxyServer> {
  if (!existsSync(TOXIPROXY_BIN)) {
    throw new Error(`toxiproxy-server not found at ${TOXIPROXY_BIN}; run 'npm run test-servers' to build it`);
  }
  const port = await freePort();
  const child: ChildProcess = spawn(TOXIPROXY_BIN, ["-host", "127.0.0.1", "-port", String(port)], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "error" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const apiUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${apiUrl}/version`, 30_000);
  } catch (error) {
    await stopProcess(child, { signal: "SIGKILL" });
    throw new Error(`toxiproxy-server did not start: ${String(error)}\n${stderr}`);
  }

  const call = async (method: string, route: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${apiUrl}${route}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy ${method} ${route}: HTTP ${res.status} ${text}`);
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  };

  return {
    apiUrl,
    async createProxy(name: string, upstream: string): Promise<string> {
      const listen = `127.0.0.1:${await freePort()}`;
      await call("POST", "/proxies", { name, listen, upstream, enabled: true });
      return listen;
    },
    async addToxic(proxy: string, toxic: Toxic): Promise<void> {
      await call("POST", `/proxies/${encodeURIComponent(proxy)}/toxics`, {
        stream: "downstream",
        toxicity: 1,
        ...toxic,
      });
    },
    async reset(): Promise<void> {
      await call("POST", "/reset");
    },
    stop: () => stopProcess(child),
  };
}
