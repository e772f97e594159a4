// The standalone runtime: keeps every Bucket of a YAML folder reconciled on its interval.
import { watch, type FSWatcher } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import pLimit, { type LimitFunction } from "p-limit";
import type { Logger } from "pino";
import { bucketKey, type BucketObject } from "../api/bucket.js";
import { normalizeSpec } from "../api/normalize.js";
import { initialStatus } from "../api/status.js";
import type { SecretData } from "../credentials/secret.js";
import type { ReconcileMetrics } from "../engine/metrics.js";
import { reconcile, type EngineDeps, type ReconcileResult } from "../engine/reconcile.js";
import type { ArtifactStore } from "../storage/artifact-store.js";
import { loadFolder, type FolderProblem } from "./config-folder.js";
import { failureBackoff, nextInterval } from "../engine/requeue.js";
import { specHash, StateStore, type BucketState } from "./state-store.js";

export interface RunnerOptions {
  configDir: string;
  storageRoot: string;
  store: ArtifactStore;
  logger: Logger;
  /** Downloads in flight per Bucket. */
  concurrency: number;
  /** Buckets reconciled at the same time. */
  concurrentReconciles: number;
  /** Watch the folder and apply edits; off in one-shot uses. */
  watch?: boolean;
  /** Extra engine dependencies (tests, benchmarks). */
  engine?: Partial<EngineDeps>;
  /** Prometheus recorder, when the runtime serves /metrics. */
  metrics?: ReconcileMetrics;
}

interface Entry {
  object: BucketObject;
  file: string;
  state: BucketState;
  timer?: NodeJS.Timeout;
  nextAt?: Date;
  running?: Promise<ReconcileResult>;
  rerun: boolean;
  failures: number;
  removed: boolean;
}

/** What the API and CLI show for one Bucket. */
export interface BucketView {
  namespace: string;
  name: string;
  file: string;
  spec: unknown;
  suspended: boolean;
  generation: number;
  status: BucketState["status"];
  lastReconcile?: BucketState["lastReconcile"];
  nextReconcileAt?: string;
  reconciling: boolean;
}

export class StandaloneRunner {
  private readonly options: RunnerOptions;
  private readonly entries = new Map<string, Entry>();
  private secrets = new Map<string, SecretData>();
  private problems: FolderProblem[] = [];
  private readonly states: StateStore;
  private readonly limit: LimitFunction;
  private watcher?: FSWatcher;
  private reloadTimer?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(options: RunnerOptions) {
    this.options = options;
    this.states = new StateStore(options.storageRoot);
    this.limit = pLimit(Math.max(1, options.concurrentReconciles));
  }

  /** Loads the folder, schedules every Bucket and (optionally) starts watching for edits. */
  async start(): Promise<void> {
    await this.reload();
    if (this.options.watch !== false) {
      this.watcher = watch(this.options.configDir, { recursive: true }, () => {
        this.scheduleReload();
      });
    }
  }

  /** Stops timers and the watcher, and waits for reconciles in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearTimeout(this.reloadTimer);
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    await this.reloading;
    await Promise.allSettled([...this.entries.values()].flatMap((e) => (e.running ? [e.running] : [])));
  }

  /** Problems found in the folder (unparseable files, invalid documents). */
  folderProblems(): readonly FolderProblem[] {
    return this.problems;
  }

  list(): BucketView[] {
    return [...this.entries.values()]
      .map((e) => this.view(e))
      .sort((a, b) => bucketKey(a).localeCompare(bucketKey(b)));
  }

  get(namespace: string, name: string): BucketView | undefined {
    const entry = this.entries.get(`${namespace}/${name}`);
    return entry ? this.view(entry) : undefined;
  }

  /**
   * Reconciles a Bucket now (a reconcile already running is followed by one more) and resolves with the result.
   * Resolves undefined when no such Bucket exists.
   */
  async reconcileNow(namespace: string, name: string): Promise<ReconcileResult | undefined> {
    const entry = this.entries.get(`${namespace}/${name}`);
    if (!entry) return undefined;
    if (!entry.running) return this.run(entry);
    // Coalesce: the one in flight may have read the old spec, so one more follows it; wait for that one.
    entry.rerun = true;
    await entry.running;
    return entry.running ?? this.run(entry);
  }

  /** Re-reads the folder now and applies what changed. */
  reload(): Promise<void> {
    this.reloading = this.reloading
      .then(() => this.applyFolder())
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, "reading the config folder failed");
      });
    return this.reloading;
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.reload(), 300);
  }

  private async applyFolder(): Promise<void> {
    if (this.stopped) return;
    const log = this.options.logger;
    const folder = await loadFolder(this.options.configDir);
    for (const problem of folder.problems) log.error({ file: problem.file }, problem.message);
    this.problems = folder.problems;
    const secretsChanged = JSON.stringify([...folder.secrets]) !== JSON.stringify([...this.secrets]);
    this.secrets = folder.secrets;

    // A file that no longer parses keeps its Buckets (and their artifacts) until it is fixed: a typo in the YAML
    // must not delete what is being served.
    const brokenFiles = new Set(folder.problems.map((p) => p.file));
    for (const [key, entry] of this.entries) {
      if (folder.buckets.has(key)) continue;
      if (brokenFiles.has(entry.file)) {
        log.warn({ bucket: key, file: entry.file }, "file has errors; keeping the Bucket as last loaded");
        continue;
      }
      await this.remove(key, entry);
    }
    for (const [key, found] of folder.buckets) {
      const hash = specHash({ spec: found.object.spec, annotations: found.object.metadata.annotations });
      const entry = this.entries.get(key);
      if (!entry) {
        await this.add(key, found.object, found.file, hash);
      } else if (entry.state.specHash !== hash || entry.file !== found.file) {
        entry.object = found.object;
        entry.file = found.file;
        entry.state = { ...entry.state, specHash: hash, generation: entry.state.generation + 1 };
        log.info({ bucket: key }, "spec changed");
        this.kick(entry);
      } else if (secretsChanged && referencesSecrets(found.object.spec)) {
        this.kick(entry);
      }
    }
  }

  private async add(key: string, object: BucketObject, file: string, hash: string): Promise<void> {
    const { namespace, name } = object.metadata;
    const saved = await this.states.load(namespace, name);
    const state: BucketState = saved
      ? {
          ...saved,
          generation: saved.specHash === hash ? saved.generation : saved.generation + 1,
          specHash: hash,
        }
      : { generation: 1, specHash: hash, status: initialStatus() };
    const entry: Entry = { object, file, state, rerun: false, failures: 0, removed: false };
    this.entries.set(key, entry);
    // A restart within the interval of a good reconcile waits for the rest of the interval.
    const interval = intervalOf(entry);
    const last = saved?.lastReconcile;
    if (saved?.specHash === hash && last?.outcome !== "failed" && interval !== undefined) {
      const due = Date.parse(last?.at ?? "") + interval - Date.now();
      if (due > 0) {
        this.schedule(entry, due);
        return;
      }
    }
    this.kick(entry);
  }

  private async remove(key: string, entry: Entry): Promise<void> {
    entry.removed = true;
    clearTimeout(entry.timer);
    this.entries.delete(key);
    await entry.running?.catch(() => undefined);
    const { namespace, name } = entry.object.metadata;
    await this.options.store.remove({ namespace, name });
    await this.states.remove(namespace, name);
    this.options.metrics?.forget({ namespace, name });
    await rm(path.join(this.cacheRoot(), namespace, name), { recursive: true, force: true });
    this.options.logger.info({ bucket: key }, "Bucket removed from the folder; its artifacts were deleted");
  }

  private kick(entry: Entry): void {
    if (entry.running) entry.rerun = true;
    else void this.run(entry);
  }

  private schedule(entry: Entry, delayMs: number): void {
    clearTimeout(entry.timer);
    if (this.stopped || entry.removed) return;
    entry.nextAt = new Date(Date.now() + delayMs);
    entry.timer = setTimeout(() => {
      this.kick(entry);
    }, delayMs);
  }

  private run(entry: Entry): Promise<ReconcileResult> {
    clearTimeout(entry.timer);
    entry.nextAt = undefined;
    const task = this.limit(() => this.reconcileEntry(entry));
    entry.running = task;
    void task.finally(() => {
      entry.running = undefined;
      if (entry.rerun && !entry.removed && !this.stopped) {
        entry.rerun = false;
        void this.run(entry);
      }
    });
    return task;
  }

  private async reconcileEntry(entry: Entry): Promise<ReconcileResult> {
    const { namespace, name } = entry.object.metadata;
    const result = await reconcile(
      {
        ref: { namespace, name },
        generation: entry.state.generation,
        spec: entry.object.spec,
        baseDir: path.dirname(entry.file),
        annotations: entry.object.metadata.annotations,
        status: entry.state.status,
      },
      {
        store: this.options.store,
        readSecret: (ns, secretName) => Promise.resolve(this.secrets.get(`${ns}/${secretName}`)),
        cacheRoot: this.cacheRoot(),
        logger: this.options.logger,
        concurrency: this.options.concurrency,
        ...this.options.engine,
      },
    );
    entry.state = {
      ...entry.state,
      status: result.status,
      lastReconcile: { at: new Date().toISOString(), outcome: result.outcome, stats: result.stats },
    };
    if (!entry.removed) await this.states.save(namespace, name, entry.state);
    for (const event of result.events) {
      this.options.logger[event.type === "Warning" ? "warn" : "info"](
        { bucket: `${namespace}/${name}`, event: event.reason, ...event.annotations },
        event.message,
      );
    }
    this.options.metrics?.observe({ namespace, name }, result);
    entry.failures = result.outcome === "failed" ? entry.failures + 1 : 0;
    const interval = result.spec?.intervalMs;
    if (result.outcome === "failed" && interval !== undefined)
      this.schedule(entry, failureBackoff(entry.failures, interval));
    else if (result.outcome !== "suspended" && result.outcome !== "stalled" && interval !== undefined) {
      this.schedule(entry, nextInterval(interval));
    }
    return result;
  }

  private cacheRoot(): string {
    return path.join(this.options.storageRoot, "cache");
  }

  private view(entry: Entry): BucketView {
    const view: BucketView = {
      namespace: entry.object.metadata.namespace,
      name: entry.object.metadata.name,
      file: entry.file,
      spec: entry.object.spec,
      suspended: isSuspended(entry.object.spec),
      generation: entry.state.generation,
      status: entry.state.status,
      reconciling: entry.running !== undefined,
    };
    if (entry.state.lastReconcile) view.lastReconcile = entry.state.lastReconcile;
    if (entry.nextAt) view.nextReconcileAt = entry.nextAt.toISOString();
    return view;
  }
}

function intervalOf(entry: Entry): number | undefined {
  try {
    return normalizeSpec(entry.object.spec, path.dirname(entry.file)).intervalMs;
  } catch {
    return undefined;
  }
}

function isSuspended(spec: unknown): boolean {
  return typeof spec === "object" && spec !== null && (spec as { suspend?: unknown }).suspend === true;
}

function referencesSecrets(spec: unknown): boolean {
  if (typeof spec !== "object" || spec === null) return false;
  const s = spec as Record<string, unknown>;
  return ["secretRef", "certSecretRef", "proxySecretRef", "sts"].some((k) => s[k] !== undefined);
}
