// Records the hosts this process talks to (node:diagnostics_channel), for "no traffic left loopback" checks.
import assert from "node:assert/strict";
import dc from "node:diagnostics_channel";
import type { ClientRequest } from "node:http";
import type { Socket } from "node:net";

export interface TrafficRecorder {
  /** Every HTTP request's host and every resolved / connected socket address. */
  contacted: Set<string>;
  /** Paths of the HTTP requests sent, in order. */
  requestPaths: string[];
  stop(): void;
  /** Asserts that something was recorded and that all of it is loopback. */
  assertLoopbackOnly(): void;
}

const LOOPBACK = ["127.0.0.1", "::1", "localhost"];

/** Starts recording; call stop() when done (e.g. in after()). */
export function recordTraffic(): TrafficRecorder {
  const contacted = new Set<string>();
  const requestPaths: string[] = [];
  const onRequest = (message: unknown): void => {
    const { request } = message as { request: ClientRequest };
    contacted.add(request.host);
    requestPaths.push(request.path);
  };
  const onSocket = (message: unknown): void => {
    const { socket } = message as { socket: Socket };
    socket.once("lookup", (_error: unknown, address: string, _family: unknown, host: string) => {
      contacted.add(host);
      contacted.add(address);
    });
    socket.once("connect", () => {
      if (socket.remoteAddress) contacted.add(socket.remoteAddress);
    });
  };
  dc.subscribe("http.client.request.start", onRequest);
  dc.subscribe("net.client.socket", onSocket);
  return {
    contacted,
    requestPaths,
    stop(): void {
      dc.unsubscribe("http.client.request.start", onRequest);
      dc.unsubscribe("net.client.socket", onSocket);
    },
    assertLoopbackOnly(): void {
      const others = [...contacted].filter((h) => !LOOPBACK.includes(h));
      assert.ok(contacted.has("127.0.0.1"), "the recorder saw the tests' own traffic");
      assert.deepEqual(others, [], `hosts contacted: ${[...contacted].join(", ")}`);
    },
  };
}
