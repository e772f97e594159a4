// A throwaway engine environment: storage + cache in a temp dir, Secrets from a map, silent logger.
import path from "node:path";
import type { TestContext } from "node:test";
import { pino } from "pino";
import { initialStatus, type BucketStatus } from "../../src/api/status.js";
import type { SecretData } from "../../src/credentials/secret.js";
import { reconcile, type ReconcileResult } from "../../src/engine/reconcile.js";
import { ArtifactStore } from "../../src/storage/artifact-store.js";
import { tempDir } from "./temp.js";

export interface EngineEnv {
  dir: string;
  store: ArtifactStore;
  /** Secrets of namespace "default" by name. */
  secrets: Map<string, SecretData>;
  /** Reconciles `spec` as default/<name>, fed `status` (a fresh Bucket when omitted). */
  sync(spec: unknown, status?: BucketStatus, name?: string): Promise<ReconcileResult>;
}

export interface EngineEnvOptions {
  /** The engine's clock (default: the system's). */
  now?: () => Date;
  /** Where artifacts are served (default: an address nothing listens on). */
  baseUrl?: () => string;
}

/** Creates the environment; its folder is removed when the test ends. */
export async function engineEnv(t: TestContext, options: EngineEnvOptions = {}): Promise<EngineEnv> {
  const dir = await tempDir(t, "env");
  const store = new ArtifactStore({
    root: path.join(dir, "storage"),
    baseUrl: options.baseUrl ?? "http://127.0.0.1:1",
    retentionRecords: 2,
    retentionTtlMs: 60_000,
  });
  const secrets = new Map<string, SecretData>();
  return {
    dir,
    store,
    secrets,
    sync: (spec, status = initialStatus(), name = "bucket") =>
      reconcile(
        { ref: { namespace: "default", name }, generation: 1, spec, status },
        {
          store,
          readSecret: (ns, secretName) =>
            Promise.resolve(ns === "default" ? secrets.get(secretName) : undefined),
          cacheRoot: path.join(dir, "cache"),
          logger: pino({ level: "silent" }),
          concurrency: 16,
          ...(options.now ? { now: options.now } : {}),
        },
      ),
  };
}
