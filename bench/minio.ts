// The bench's MinIO: the test servers' binary on 127.0.0.1, with public Prometheus metrics so request counts
// can be read from the server itself (test/support/minio.ts, plus MINIO_PROMETHEUS_AUTH_TYPE=public).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { MINIO_BIN } from "../test/support/minio.js";
import { freePort, waitForHttp } from "../test/support/ports.js";

export interface BenchMinio {
  endpoint: string;
  url: string;
  accessKey: string;
  secretKey: string;
  client: S3Client;
  /** S3 API request counts by API name (getobject, listobjectsv2, …) since the server started. */
  requestCounts(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

export async function startBenchMinio(dataRoot?: string): Promise<BenchMinio> {
  if (!existsSync(MINIO_BIN)) throw new Error(`MinIO not found at ${MINIO_BIN}; run 'npm run test-servers'`);
  const dataDir = await mkdtemp(path.join(dataRoot ?? os.tmpdir(), "bucketops-bench-minio-"));
  const port = await freePort();
  const consolePort = await freePort();
  const accessKey = "bucketops-bench";
  const secretKey = "bucketops-bench-secret";
  const child = spawn(
    MINIO_BIN,
    [
      "server",
      dataDir,
      "--address",
      `127.0.0.1:${port}`,
      "--console-address",
      `127.0.0.1:${consolePort}`,
      "--quiet",
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
        MINIO_PROMETHEUS_AUTH_TYPE: "public",
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/minio/health/live`, 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`MinIO did not start: ${String(error)}\n${stderr}`);
  }
  const client = new S3Client({
    endpoint: url,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return {
    endpoint: `127.0.0.1:${port}`,
    url,
    accessKey,
    secretKey,
    client,
    async requestCounts(): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      const res = await fetch(`${url}/minio/v2/metrics/node`);
      const text = await res.text();
      for (const m of text.matchAll(/^minio_s3_requests_total\{([^}]*)\} (\S+)$/gm)) {
        const api = /api="([^"]+)"/.exec(m[1] ?? "")?.[1];
        if (api) counts.set(api, (counts.get(api) ?? 0) + Number(m[2]));
      }
      return counts;
    },
    async stop(): Promise<void> {
      client.destroy();
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
