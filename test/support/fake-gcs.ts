// Starts a real fake-gcs-server (built by scripts/test-servers.sh) on 127.0.0.1 with an in-memory backend.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Storage } from "@google-cloud/storage";
import pLimit from "p-limit";
import { freePort, waitForHttp } from "./ports.js";
import { stopProcess } from "./stop-process.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const FAKE_GCS_BIN = path.join(repoRoot, ".cache/bin/fake-gcs-server");

export interface FakeGcsServer {
  /** http://127.0.0.1:<port>, as a Bucket's spec.endpoint takes it (with insecure: true). */
  url: string;
  /** 127.0.0.1:<port> of the plain-http listener. */
  hostPort: string;
  /** With `https: true`: 127.0.0.1:<port> of the TLS listener (same data; Go's self-signed test certificate). */
  httpsHostPort?: string;
  /** A @google-cloud/storage client pointed at the http listener, without authentication. */
  client: Storage;
  createBucket(name: string): Promise<void>;
  /** Uploads many objects with bounded parallelism. */
  putObjects(bucket: string, objects: Iterable<[key: string, body: string | Buffer]>): Promise<void>;
  deleteObject(bucket: string, key: string): Promise<void>;
  listKeys(bucket: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts fake-gcs-server; fails (never skips) when the binary is missing: run `npm run test-servers`. */
export async function startFakeGcs(options: { https?: boolean } = {}): Promise<FakeGcsServer> {
  if (!existsSync(FAKE_GCS_BIN)) {
    throw new Error(
      `fake-gcs-server binary not found at ${FAKE_GCS_BIN}; run 'npm run test-servers' to build it`,
    );
  }
  const port = await freePort();
  const hostPort = `127.0.0.1:${port}`;
  const url = `http://${hostPort}`;
  const args = ["-host", "127.0.0.1", "-backend", "memory", "-log-level", "error"];
  let httpsHostPort: string | undefined;
  if (options.https) {
    // "both": TLS on -port, plain http on -port-http, one backend.
    const tlsPort = await freePort();
    httpsHostPort = `127.0.0.1:${tlsPort}`;
    args.push("-scheme", "both", "-port", String(tlsPort), "-port-http", String(port));
  } else {
    args.push("-scheme", "http", "-port", String(port));
  }
  // URLs the server hands out (uploads, media links) must point back here, not at storage.googleapis.com.
  args.push("-public-host", hostPort, "-external-url", url);
  const child: ChildProcess = spawn(FAKE_GCS_BIN, args, {
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitForHttp(`${url}/_internal/healthcheck`, 30_000);
  } catch (error) {
    await stopProcess(child, { signal: "SIGKILL" });
    throw new Error(`fake-gcs-server did not start: ${String(error)}\n${stderr}`);
  }
  // An emulator endpoint: the client sends no credentials and contacts nothing but this server.
  // projectId is set so bucket creation never asks the environment (or a metadata server) for one.
  const client = new Storage({ apiEndpoint: url, projectId: "bucketops-test" });
  return {
    url,
    hostPort,
    ...(httpsHostPort === undefined ? {} : { httpsHostPort }),
    client,
    async createBucket(name: string): Promise<void> {
      await client.createBucket(name);
    },
    async putObjects(bucket: string, objects: Iterable<[string, string | Buffer]>): Promise<void> {
      const limit = pLimit(32);
      const b = client.bucket(bucket);
      await Promise.all(
        [...objects].map(([key, body]) => limit(() => b.file(key).save(body, { resumable: false }))),
      );
    },
    async deleteObject(bucket: string, key: string): Promise<void> {
      await client.bucket(bucket).file(key).delete();
    },
    async listKeys(bucket: string): Promise<string[]> {
      const [files] = await client.bucket(bucket).getFiles();
      return files.map((f) => f.name);
    },
    stop: () => stopProcess(child),
  };
}
