// Starts a real MinIO (built by scripts/test-servers.sh) on 127.0.0.1 with a fresh data dir.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import pLimit from "p-limit";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { textResponse } from "./http.js";
import { freePort, waitForHttp } from "./ports.js";
import { stopProcess } from "./stop-process.js";
import { makeTempDir, removeDir } from "./temp.js";
import { waitFor } from "./wait.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const MINIO_BIN = path.join(repoRoot, ".cache/bin/minio");

export interface MinioServer {
  /** host:port, as a Bucket's spec.endpoint takes it. */
  endpoint: string;
  url: string;
  accessKey: string;
  secretKey: string;
  client: S3Client;
  createBucket(name: string): Promise<void>;
  /** Uploads many objects with bounded parallelism. */
  putObjects(bucket: string, objects: Iterable<[key: string, body: string | Buffer]>): Promise<void>;
  stop(): Promise<void>;
}

/** Starts MinIO; fails (never skips) when the binary is missing: run `npm run test-servers`. */
export async function startMinio(
  options: {
    certsDir?: string;
    ca?: string;
    /** Extra server environment, e.g. MINIO_IDENTITY_LDAP_* (see test/support/ldap.ts). */
    env?: Record<string, string>;
    /** Root credentials (default bucketops-test / bucketops-test-secret), e.g. distinctive values to grep for. */
    accessKey?: string;
    secretKey?: string;
  } = {},
): Promise<MinioServer> {
  if (!existsSync(MINIO_BIN)) {
    throw new Error(`MinIO binary not found at ${MINIO_BIN}; run 'npm run test-servers' to build it`);
  }
  const dataDir = await makeTempDir("minio");
  const port = await freePort();
  const consolePort = await freePort();
  const accessKey = options.accessKey ?? "bucketops-test";
  const secretKey = options.secretKey ?? "bucketops-test-secret";
  const child: ChildProcess = spawn(
    MINIO_BIN,
    [
      "server",
      dataDir,
      "--address",
      `127.0.0.1:${port}`,
      "--console-address",
      `127.0.0.1:${consolePort}`,
      "--quiet",
      ...(options.certsDir ? ["--certs-dir", options.certsDir] : []),
    ],
    {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dataDir,
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_BROWSER: "off",
        MINIO_UPDATE: "off",
        MINIO_CALLHOME_ENABLE: "off",
        ...options.env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `${options.certsDir ? "https" : "http"}://127.0.0.1:${port}`;
  try {
    // MinIO answers plain HTTP on a TLS port with 400; the readiness probe uses plain HTTP only without TLS.
    if (options.certsDir) {
      // Its TLS listener accepts connections just before it serves: wait for a 200 over TLS. Readiness only
      // (the tests check certificates themselves), so the certificate is not verified here.
      const health = `${url}/minio/health/live`;
      await waitFor(
        `${health} to answer 200`,
        async () => (await textResponse(httpsRequest(health, { rejectUnauthorized: false }))).status === 200,
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    } else await waitForHttp(`${url}/minio/health/live`, 30_000);
  } catch (error) {
    await stopProcess(child, { signal: "SIGKILL" });
    await removeDir(dataDir);
    throw new Error(`MinIO did not start: ${String(error)}\n${stderr}`);
  }
  const client = new S3Client({
    endpoint: url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...(options.ca
      ? { requestHandler: new NodeHttpHandler({ httpsAgent: new HttpsAgent({ ca: options.ca }) }) }
      : {}),
  });
  return {
    endpoint: `127.0.0.1:${port}`,
    url,
    accessKey,
    secretKey,
    client,
    async createBucket(name: string): Promise<void> {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async putObjects(bucket: string, objects: Iterable<[string, string | Buffer]>): Promise<void> {
      const limit = pLimit(32);
      await Promise.all(
        [...objects].map(([Key, Body]) =>
          limit(() => client.send(new PutObjectCommand({ Bucket: bucket, Key, Body }))),
        ),
      );
    },
    async stop(): Promise<void> {
      client.destroy();
      await stopProcess(child);
      await removeDir(dataDir);
    },
  };
}
