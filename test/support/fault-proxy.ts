// A real HTTP reverse proxy (node:http) on 127.0.0.1 in front of an S3 server (MinIO) that alters object GET
// responses the ways a TCP proxy cannot: a body cut short and ended cleanly without Content-Length, one flipped
// byte at the same length, 5xx answers. Everything else (listings, other keys) is forwarded untouched; the Host
// header is kept, so SigV4 signatures stay valid.
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  /** Sends the status line, the headers and the first `at` body bytes, then closes the connection. */
  | { kind: "cut"; key: string; at: number; contentLength: boolean }
  /** Forwards the whole body with the byte at `offset` inverted (XOR 0xff): same length, other content. */
  | { kind: "flip"; key: string; offset: number }
  /**
   * Answers the next `count` object requests of `method` (GET unless said; any key) with `status` and an S3 error
   * document, without reading a request body.
   */
  | { kind: "status"; status: number; count: number; method?: "GET" | "PUT" }
  /** Runs `run` (e.g. overwrites the object) before the first GET of `key` is forwarded; later GETs pass. */
  | { kind: "before"; key: string; run: () => Promise<void>; done?: boolean };

export interface FaultProxy {
  /** host:port, as a Bucket's spec.endpoint takes it. */
  endpoint: string;
  /** The fault applied from now on; undefined forwards everything untouched. */
  fault: Fault | undefined;
  /** Object GETs seen (key and whether the fault altered the answer), in order. */
  gets: { key: string; faulted: boolean }[];
  stop(): Promise<void>;
}

/** Starts the proxy in front of `upstream` (an http:// base URL). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: false });
  const state: FaultProxy = {
    endpoint: "",
    fault: undefined,
    gets: [],
    stop: () => Promise.resolve(),
  };

  const server = createServer((req, res) => {
    const key = objectKey(req);
    const fault = key === undefined ? undefined : applies(state.fault, key, req.method ?? "GET");
    if (key !== undefined && req.method === "GET") state.gets.push({ key, faulted: fault !== undefined });
    if (fault?.kind === "status") {
      fault.count--;
      const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>injected ${fault.status}</Message></Error>`;
      res.writeHead(fault.status, {
        "content-type": "application/xml",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
      return;
    }
    if (fault?.kind === "before") {
      fault.done = true;
      fault.run().then(
        () => {
          proxyTo(req, res, undefined);
        },
        () => res.destroy(),
      );
      return;
    }
    proxyTo(req, res, fault);
  });
  const proxyTo = (req: IncomingMessage, res: ServerResponse, fault: Fault | undefined): void => {
    const upstreamReq = request(
      {
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (up) => {
        if (fault?.kind === "flip" && up.statusCode === 200) flip(up, res, fault.offset);
        else if (fault?.kind === "cut" && up.statusCode === 200) cut(up, req, fault.at, fault.contentLength);
        else forward(up, res);
      },
    );
    upstreamReq.on("error", () => res.destroy());
    req.pipe(upstreamReq);
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      agent.destroy();
      server.close(() => {
        resolve();
      });
    });
  return state;
}

/**
 * The key of a path-style object GET (`/bucket/key`, no query) or PutObject (the SDK adds `?x-id=PutObject`);
 * undefined for listings and other requests.
 */
function objectKey(req: IncomingMessage): string | undefined {
  const url = new URL(req.url ?? "/", "http://proxy");
  const parts = url.pathname.split("/");
  const query = req.method === "PUT" ? "?x-id=PutObject" : req.method === "GET" ? "" : undefined;
  if (url.search !== query || parts.length < 3 || url.pathname.endsWith("/")) return undefined;
  return decodeURIComponent(parts.slice(2).join("/"));
}

function applies(fault: Fault | undefined, key: string, method: string): Fault | undefined {
  if (fault === undefined) return undefined;
  if (fault.kind === "status")
    return fault.count > 0 && (fault.method ?? "GET") === method ? fault : undefined;
  if (method !== "GET") return undefined;
  if (fault.kind === "before" && fault.done === true) return undefined;
  return fault.key === key ? fault : undefined;
}

function forward(up: IncomingMessage, res: ServerResponse): void {
  res.writeHead(up.statusCode ?? 502, up.headers);
  up.pipe(res);
}

function flip(up: IncomingMessage, res: ServerResponse, offset: number): void {
  res.writeHead(200, up.headers);
  let position = 0;
  up.on("data", (chunk: Buffer) => {
    let out = chunk;
    if (offset >= position && offset < position + chunk.length) {
      out = Buffer.from(chunk);
      out[offset - position] = (out[offset - position] ?? 0) ^ 0xff;
    }
    position += chunk.length;
    res.write(out);
  });
  up.on("end", () => res.end());
  up.on("error", () => res.destroy());
}

/**
 * Writes the response by hand on the client's socket: without Content-Length the body is delimited by the
 * connection's close, so the client sees a clean, complete-looking end after `at` bytes.
 */
function cut(up: IncomingMessage, req: IncomingMessage, at: number, contentLength: boolean): void {
  const socket = req.socket;
  const skip = new Set([
    "transfer-encoding",
    "connection",
    "keep-alive",
    ...(contentLength ? [] : ["content-length"]),
  ]);
  let head = `HTTP/1.1 ${up.statusCode ?? 200} ${up.statusMessage ?? "OK"}\r\n`;
  for (let i = 0; i < up.rawHeaders.length; i += 2) {
    const name = up.rawHeaders[i] ?? "";
    if (!skip.has(name.toLowerCase())) head += `${name}: ${up.rawHeaders[i + 1] ?? ""}\r\n`;
  }
  socket.write(`${head}Connection: close\r\n\r\n`);
  let sent = 0;
  up.on("data", (chunk: Buffer) => {
    if (sent >= at) return;
    const part = chunk.subarray(0, at - sent);
    sent += part.length;
    socket.write(part);
    if (sent >= at) {
      up.destroy();
      socket.end();
    }
  });
  up.on("end", () => socket.end());
}
