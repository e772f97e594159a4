// The three clouds' test servers as chart repositories: a Bucket YAML the CLI takes (with its Secret), and
// providers built from the same spec for the programmatic API and for reading back what was written.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { normalizeSpec } from "../../src/api/normalize.js";
import { resolveConnection } from "../../src/credentials/resolve.js";
import { DEFAULT_TUNING } from "../../src/engine/reconcile.js";
import { createProvider } from "../../src/providers/index.js";
import type { BucketProvider, BucketWriter } from "../../src/providers/types.js";
import { startAzurite } from "./azurite.js";
import { startFakeGcs } from "./fake-gcs.js";
import { serviceAccountJson } from "./gcp-key.js";
import { startMinio } from "./minio.js";

export type Provider = BucketProvider & BucketWriter;

/** One running server holding chart repositories. */
export interface ChartBackend {
  name: string;
  createBucket(bucket: string): Promise<void>;
  /** Writes a Bucket YAML (+ Secret) for `bucket` with `prefix` into `dir`; returns its path. */
  bucketYaml(dir: string, bucket: string, prefix: string): Promise<string>;
  /** A new provider (its own HTTP agent) on `bucket`, built from the same spec as the YAML. */
  provider(bucket: string): Promise<Provider>;
  stop(): Promise<void>;
}

type Spec = Record<string, unknown>;

async function build(spec: Spec, secret: Record<string, string>): Promise<Provider> {
  const connection = await resolveConnection(
    normalizeSpec({ interval: "5m", ...spec, secretRef: { name: "creds" } }),
    "default",
    (_ns, name) => Promise.resolve(name === "creds" ? secret : undefined),
  );
  return createProvider(connection, DEFAULT_TUNING);
}

function yaml(spec: Spec, secret: Record<string, string>): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: { name: charts, namespace: default }
spec: ${JSON.stringify({ interval: "5m", ...spec, secretRef: { name: "creds" } })}
---
apiVersion: v1
kind: Secret
metadata: { name: creds, namespace: default }
stringData: ${JSON.stringify(secret)}
`;
}

function backend(
  name: string,
  spec: (bucket: string) => Spec,
  secret: Record<string, string>,
  rest: Pick<ChartBackend, "createBucket" | "stop">,
): ChartBackend {
  return {
    name,
    ...rest,
    async bucketYaml(dir, bucket, prefix) {
      const file = path.join(dir, `${bucket}.yaml`);
      await writeFile(file, yaml({ ...spec(bucket), prefix }, secret));
      return file;
    },
    provider: (bucket) => build(spec(bucket), secret),
  };
}

/** Starts MinIO. */
export async function minioBackend(): Promise<ChartBackend> {
  const minio = await startMinio();
  return backend(
    "MinIO",
    (bucket) => ({ provider: "generic", bucketName: bucket, endpoint: minio.endpoint, insecure: true }),
    { accesskey: minio.accessKey, secretkey: minio.secretKey },
    { createBucket: (b) => minio.createBucket(b), stop: () => minio.stop() },
  );
}

/** Starts fake-gcs-server. */
export async function gcsBackend(): Promise<ChartBackend> {
  const gcs = await startFakeGcs();
  return backend(
    "fake-gcs-server",
    (bucket) => ({ provider: "gcp", bucketName: bucket, endpoint: gcs.hostPort, insecure: true }),
    { serviceaccount: serviceAccountJson() },
    { createBucket: (b) => gcs.createBucket(b), stop: () => gcs.stop() },
  );
}

/** Starts Azurite. */
export async function azuriteBackend(): Promise<ChartBackend> {
  const azurite = await startAzurite();
  return backend(
    "Azurite",
    (container) => ({ provider: "azure", bucketName: container, endpoint: azurite.endpoint }),
    { accountKey: azurite.accountKey },
    { createBucket: (c) => azurite.createContainer(c), stop: () => azurite.stop() },
  );
}

/** The whole body of `key`, or undefined when it does not exist. */
export async function readObject(provider: Provider, key: string): Promise<Buffer | undefined> {
  if ((await provider.stat(key)) === undefined) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of (await provider.get(key)) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
