// The webhook latency row: a `bucketops run` server woken by MinIO's own webhook notification target. Time from
// the PUT of one changed object to its new artifact being served, with the requests that reconcile sent.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { PutBucketNotificationConfigurationCommand } from "@aws-sdk/client-s3";
import { freePort } from "../test/support/ports.js";
import { startServerProcess } from "../test/support/cli.js";
import type { BenchMinio } from "./minio.js";

const WEBHOOK_ID = "BUCKETOPSBENCH";
const TOKEN = "bench-webhook-token";
const NS = "bench";

/** Where MinIO's webhook target will post: a port chosen before MinIO starts (its targets are set at start). */
export interface WebhookTarget {
  port: number;
  /** MinIO's environment for the target. */
  env: Record<string, string>;
}

/** Picks the port of the bucketops server the bench starts later, and MinIO's environment pointing at it. */
export async function webhookTarget(): Promise<WebhookTarget> {
  const port = await freePort();
  return {
    port,
    env: {
      [`MINIO_NOTIFY_WEBHOOK_ENABLE_${WEBHOOK_ID}`]: "on",
      [`MINIO_NOTIFY_WEBHOOK_ENDPOINT_${WEBHOOK_ID}`]: `http://127.0.0.1:${port}/hooks/s3`,
      [`MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_${WEBHOOK_ID}`]: TOKEN,
    },
  };
}

export interface WebhookRound {
  /** PUT sent → the API serving the new revision. */
  latencyMs: number;
  /** The event-driven reconcile's own duration and requests (from the server's lastReconcile). */
  reconcileMs: number;
  list: number;
  get: number;
  head: number;
  scan: string;
}

export interface WebhookBenchOptions {
  minio: BenchMinio;
  target: WebhookTarget;
  bucket: string;
  /** The dataset's prefix (already uploaded). */
  prefix: string;
  work: string;
  /** Uploads the n-th change (one object). */
  change: (round: number) => Promise<void>;
  rounds: number;
  log: (line: string) => void;
}

interface View {
  status: { artifact?: { revision: string } };
  reconciling: boolean;
  lastReconcile?: {
    stats: {
      listRequests: number;
      getRequests: number;
      headRequests: number;
      scan: string;
      durationMs: number;
    };
  };
}

/**
 * Starts `bucketops run` (interval 1h) on the target's port over the dataset's prefix, subscribes MinIO's webhook to
 * the prefix, and times `rounds` single-object changes from upload to new artifact. Unsubscribes before returning.
 */
export async function benchWebhook(options: WebhookBenchOptions): Promise<WebhookRound[]> {
  const { minio, target, bucket, prefix, work } = options;
  const config = path.join(work, "webhook-config");
  await mkdir(config, { recursive: true });
  await writeFile(
    path.join(config, "bucket.yaml"),
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: webhook, namespace: ${NS}}
spec: {interval: 1h, provider: generic, bucketName: ${bucket}, prefix: "${prefix}", endpoint: "${minio.endpoint}", insecure: true, secretRef: {name: minio}}
---
apiVersion: v1
kind: Secret
metadata: {name: minio, namespace: ${NS}}
stringData: ${JSON.stringify({ accesskey: minio.accessKey, secretkey: minio.secretKey })}
---
apiVersion: v1
kind: Secret
metadata: {name: hook, namespace: ${NS}}
stringData: ${JSON.stringify({ token: TOKEN })}
`,
  );
  const server = await startServerProcess([
    "--config",
    config,
    "--storage",
    path.join(work, "webhook-storage"),
    "--listen",
    `127.0.0.1:${target.port}`,
    "--hook-secret",
    `s3=${NS}/hook`,
  ]);
  const view = async (): Promise<View> =>
    (await (await fetch(`${server.url}/api/buckets/${NS}/webhook`)).json()) as View;
  const waitFor = async (what: string, done: (v: View) => boolean, timeoutMs: number): Promise<View> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await view();
      if (done(v)) return v;
      if (Date.now() > deadline)
        throw new Error(`webhook bench: ${what} timed out\n${server.logs().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const notify = (on: boolean): Promise<unknown> =>
    minio.client.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: on
          ? {
              QueueConfigurations: [
                {
                  QueueArn: `arn:minio:sqs::${WEBHOOK_ID}:webhook`,
                  Events: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                  Filter: { Key: { FilterRules: [{ Name: "prefix", Value: prefix }] } },
                },
              ],
            }
          : {},
      }),
    );
  const rounds: WebhookRound[] = [];
  try {
    let current = await waitFor("the first artifact", (v) => v.status.artifact !== undefined, 300_000);
    await notify(true);
    for (let round = 1; round <= options.rounds; round++) {
      const before = current.status.artifact?.revision;
      const sent = Date.now();
      await options.change(round);
      current = await waitFor(
        `round ${round}'s artifact`,
        (v) => v.status.artifact?.revision !== before && !v.reconciling,
        30_000,
      );
      const latencyMs = Date.now() - sent;
      const stats = current.lastReconcile?.stats;
      rounds.push({
        latencyMs,
        reconcileMs: stats?.durationMs ?? NaN,
        list: stats?.listRequests ?? NaN,
        get: stats?.getRequests ?? NaN,
        head: stats?.headRequests ?? NaN,
        scan: stats?.scan ?? "?",
      });
      options.log(
        `webhook round ${round}: ${latencyMs} ms upload → artifact (${stats?.scan ?? "?"} scan; the reconcile took ${stats?.durationMs ?? "?"} ms)`,
      );
    }
  } finally {
    await notify(false).catch(() => undefined);
    await server.stop();
  }
  return rounds;
}
