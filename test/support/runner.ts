// A StandaloneRunner over a temp folder, for tests that drive the runner in-process.
import path from "node:path";
import type { TestContext } from "node:test";
import { pino } from "pino";
import { StandaloneRunner, type RunnerOptions } from "../../src/standalone/runner.js";
import { ArtifactStore } from "../../src/storage/artifact-store.js";
import { makeTempDir, removeDir } from "./temp.js";

export interface TempRunner {
  /** The temp folder holding `config` and `storage`. */
  dir: string;
  /** The config folder, `<dir>/config` (not created: the test writes its files). */
  config: string;
  store: ArtifactStore;
  /** Not started: the test writes its files, then calls `runner.start()`. */
  runner: StandaloneRunner;
}

/**
 * Creates a temp folder and a runner over `<dir>/config` storing into `<dir>/storage` (silent logs, 2 downloads
 * and 1 reconcile at a time, no watching unless `options` say otherwise). One `t.after` hook stops the runner and
 * then removes the folder: in that order, so a reconcile still running never writes into a removed folder.
 */
export async function tempRunner(
  t: TestContext,
  prefix: string,
  options: Partial<Omit<RunnerOptions, "configDir" | "storageRoot" | "store">> = {},
): Promise<TempRunner> {
  const dir = await makeTempDir(prefix);
  const config = path.join(dir, "config");
  const storageRoot = path.join(dir, "storage");
  const store = new ArtifactStore({
    root: storageRoot,
    baseUrl: "http://127.0.0.1:1",
    retentionRecords: 2,
    retentionTtlMs: 60_000,
  });
  const runner = new StandaloneRunner({
    logger: pino({ level: "silent" }),
    concurrency: 2,
    concurrentReconciles: 1,
    watch: false,
    ...options,
    configDir: config,
    storageRoot,
    store,
  });
  t.after(async () => {
    await runner.stop();
    await removeDir(dir);
  });
  return { dir, config, store, runner };
}
