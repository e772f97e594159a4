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
import { ChangeSet } from "../hooks/change-set.js";
import type { ObjectChange } from "../source/object-change.js";
import type { ArtifactStore } from "../storage/artifact-store.js";
import type { FolderContents, FolderProblem } from "./config-folder.js";
import { FolderScanner } from "./folder-scanner.js";
import { RunnerEvents } from "./bucket-events.js";
import type { RevisionLog } from "./revision-log.js";
import { failureBackoff, nextInterval } from "../engine/requeue.js";
import { EventRing, type RecordedEvent } from "./event-ring.js";
import { specHash, StateStore, type BucketPin, type BucketState, type BucketSuspend } from "./state-store.js";

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
  /**
   * With watch on, also rescan the folder this often (ms, default 2000): watchers miss events. A rescan reads only
   * files whose size or times changed, and reconciles nothing unless some content did.
   */
  rescanIntervalMs?: number;
  /** Extra engine dependencies (tests, benchmarks). */
  engine?: Partial<EngineDeps>;
  /** Prometheus recorder, when the runtime serves /metrics. */
  metrics?: ReconcileMetrics;
  /** Where each newly published revision's file list is recorded (the dashboard's history and diffs). */
  revisions?: RevisionLog;
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
  /** Secrets ("namespace/name") the last reconcile read; a change to one of them reconciles the Bucket again. */
  usedSecrets?: Set<string>;
  /** What the next run applies: objects bucket events named, or (marked full, or empty) a full listing. */
  changes: ChangeSet;
  /** Recent events (in memory only). */
  events: EventRing;
}

/** What the API and CLI show for one Bucket. */
export interface BucketView {
  namespace: string;
  name: string;
  file: string;
  spec: unknown;
  /** Whether it is suspended: the API's suspend/resume when one was asked for, else the YAML's spec.suspend. */
  suspended: boolean;
  /** Set by POST …/suspend or …/resume: overrides the YAML's spec.suspend. */
  suspend?: BucketSuspend;
  generation: number;
  status: BucketState["status"];
  lastReconcile?: BucketState["lastReconcile"];
  /** Set by `bucketops pin --server`: the asOf reconciled instead of the YAML's. */
  pin?: BucketPin;
  nextReconcileAt?: string;
  reconciling: boolean;
}

/** A Bucket of the folder as the runner resolves it: what building its provider outside a reconcile needs. */
export interface RunnerBucket {
  ref: { namespace: string; name: string };
  /** The YAML's spec (without a pin). */
  spec: unknown;
  /** The folder of its YAML file (relative file:// URLs resolve against it). */
  baseDir: string;
  /** The folder's Secrets. */
  readSecret: (namespace: string, name: string) => Promise<SecretData | undefined>;
  /**
   * A content cache folder for reading past versions (history, diff): its own, not the reconcile's, which a
   * reconcile prunes; removed with the Bucket.
   */
  cacheDir: string;
}

export class StandaloneRunner {
  private readonly options: RunnerOptions;
  private readonly entries = new Map<string, Entry>();
  private secrets = new Map<string, SecretData>();
  private problems: FolderProblem[] = [];
  private readonly states: StateStore;
  private readonly limit: LimitFunction;
  private readonly scanner: FolderScanner;
  private watcher?: FSWatcher;
  private reloadTimer?: NodeJS.Timeout;
  private rescanTimer?: NodeJS.Timeout;
  private reloading: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Announces reconciles starting and finishing and folder reloads (the dashboard's event stream). */
  readonly updates = new RunnerEvents();

  constructor(options: RunnerOptions) {
    this.options = options;
    this.states = new StateStore(options.storageRoot);
    this.limit = pLimit(Math.max(1, options.concurrentReconciles));
    this.scanner = new FolderScanner(options.configDir);
  }

  /** Loads the folder, schedules every Bucket and (optionally) starts watching and rescanning for edits. */
  async start(): Promise<void> {
    await this.reload();
    if (this.options.watch === false) return;
    try {
      this.watcher = watch(this.options.configDir, { recursive: true }, () => {
        this.scheduleReload();
      });
      this.watcher.on("error", (error: unknown) => {
        this.options.logger.warn({ err: error }, "watching the config folder failed; edits apply on rescan");
      });
    } catch (error) {
      this.options.logger.warn({ err: error }, "cannot watch the config folder; edits apply on rescan");
    }
    this.scheduleRescan();
  }

  /** Stops timers and the watcher, and waits for reconciles in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearTimeout(this.reloadTimer);
    clearTimeout(this.rescanTimer);
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    await this.reloading;
    await Promise.allSettled([...this.entries.values()].flatMap((e) => (e.running ? [e.running] : [])));
  }

  /** A Secret of the folder (hook authentication reads it); undefined when there is none. */
  secret(namespace: string, name: string): SecretData | undefined {
    return this.secrets.get(`${namespace}/${name}`);
  }

  /**
   * Reconciles a Bucket soon with the objects bucket events named (undefined: a full listing), merged with any
   * events still pending; a run in flight is followed by one more. The interval's full listing stays scheduled.
   * Returns false when no such Bucket exists or it is suspended.
   */
  notify(namespace: string, name: string, changes: readonly ObjectChange[] | undefined): boolean {
    const entry = this.entries.get(`${namespace}/${name}`);
    if (!entry || entry.removed || isSuspended(effectiveSpec(entry))) return false;
    entry.changes.add(changes?.map((change) => ({ change })));
    if (entry.running) entry.rerun = true;
    else void this.run(entry);
    return true;
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
    entry.changes.markFull();
    if (!entry.running) return this.run(entry);
    // Coalesce: the one in flight may have read the old spec, so one more follows it; wait for that one.
    entry.rerun = true;
    await entry.running;
    return entry.running ?? this.run(entry);
  }

  /**
   * Pins a Bucket to a past state of its prefix (its YAML spec with `asOf` overlaid; undefined unpins: back to the
   * YAML's spec), saves the pin with the Bucket's state so that it survives a restart, and reconciles now. The
   * YAML file is never rewritten. Resolves with the reconcile's result, or undefined when no such Bucket exists.
   */
  async setPin(
    namespace: string,
    name: string,
    pin: BucketPin | undefined,
  ): Promise<ReconcileResult | undefined> {
    const entry = this.entries.get(`${namespace}/${name}`);
    if (!entry) return undefined;
    const { pin: _previous, ...rest } = entry.state;
    entry.state = { ...rest, ...(pin ? { pin } : {}), generation: entry.state.generation + 1 };
    await this.states.save(namespace, name, entry.state);
    return this.reconcileNow(namespace, name);
  }

  /**
   * Suspends (true) or resumes (false) a Bucket: spec.suspend overlaid on its YAML spec and saved with its state, so
   * it survives a restart; the YAML file is never rewritten. A suspend stops the schedule (a reconcile in flight
   * finishes); a resume reconciles now and resolves with that result. Resolves undefined when no such Bucket exists.
   */
  async setSuspend(
    namespace: string,
    name: string,
    suspend: boolean,
  ): Promise<{ view: BucketView; result?: ReconcileResult } | undefined> {
    const entry = this.entries.get(`${namespace}/${name}`);
    if (!entry) return undefined;
    const { suspend: _previous, ...rest } = entry.state;
    // Resuming a Bucket whose YAML does not suspend it needs no overlay: edits of the YAML then apply as written.
    const overlay =
      suspend || isSuspended(entry.object.spec) ? { suspend, at: new Date().toISOString() } : undefined;
    entry.state = {
      ...rest,
      ...(overlay ? { suspend: overlay } : {}),
      generation: entry.state.generation + 1,
    };
    await this.states.save(namespace, name, entry.state);
    entry.events.add({
      type: "Normal",
      reason: suspend ? "Suspended" : "Resumed",
      message: suspend ? "suspended through the API" : "resumed through the API",
    });
    if (suspend) {
      clearTimeout(entry.timer);
      entry.nextAt = undefined;
      this.emitBucket(entry);
      return { view: this.view(entry) };
    }
    const result = await this.reconcileNow(namespace, name);
    return { view: this.view(entry), ...(result ? { result } : {}) };
  }

  /** The Bucket's recent events, oldest first (kept in memory), or undefined when no such Bucket exists. */
  events(namespace: string, name: string): RecordedEvent[] | undefined {
    return this.entries.get(`${namespace}/${name}`)?.events.list();
  }

  /** The Bucket with its spec and the folder's Secrets, or undefined when no such Bucket exists. */
  bucket(namespace: string, name: string): RunnerBucket | undefined {
    const entry = this.entries.get(`${namespace}/${name}`);
    if (!entry) return undefined;
    return {
      ref: { namespace, name },
      spec: entry.object.spec,
      baseDir: path.dirname(entry.file),
      readSecret: (ns, secretName) => Promise.resolve(this.secrets.get(`${ns}/${secretName}`)),
      cacheDir: this.historyCacheDir(namespace, name),
    };
  }

  /**
   * Re-reads the folder now (every file, not trusting sizes and times) and applies what changed. Resolves once
   * applied; a folder that cannot be listed is logged and changes nothing.
   */
  reload(): Promise<void> {
    return this.rescan(true);
  }

  private rescan(force: boolean): Promise<void> {
    this.reloading = this.reloading
      .then(async () => {
        if (this.stopped) return;
        const { changed, contents } = await this.scanner.scan({ force });
        if (changed) {
          await this.applyFolder(contents);
          this.updates.emit({ type: "folder" });
        }
      })
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, "reading the config folder failed");
      });
    return this.reloading;
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.reload(), 300);
  }

  private scheduleRescan(): void {
    if (this.stopped) return;
    this.rescanTimer = setTimeout(() => {
      void this.rescan(false).then(() => {
        this.scheduleRescan();
      });
    }, this.options.rescanIntervalMs ?? 2000);
  }

  // A file that no longer loads keeps its Buckets and Secrets as last loaded (the scanner keeps them): a typo in
  // the YAML must not delete what is being served, nor the credentials it is fetched with.
  private async applyFolder(folder: FolderContents): Promise<void> {
    if (this.stopped) return;
    const log = this.options.logger;
    for (const problem of folder.problems) {
      const { file, document, line, column, code } = problem;
      log.error({ file, document, line, column, code }, problem.message);
    }
    this.problems = folder.problems;
    const changedSecrets = changedKeys(this.secrets, folder.secrets);
    this.secrets = folder.secrets;

    for (const [key, entry] of this.entries) {
      if (!folder.buckets.has(key)) await this.remove(key, entry);
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
      } else if (usesAny(entry, changedSecrets)) {
        log.info({ bucket: key }, "a Secret it uses changed");
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
    const entry: Entry = {
      object,
      file,
      state,
      rerun: false,
      failures: 0,
      removed: false,
      changes: new ChangeSet(),
      events: new EventRing(),
    };
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
    await rm(this.historyCacheDir(namespace, name), { recursive: true, force: true });
    await this.options.revisions?.remove({ namespace, name });
    this.updates.emit({ type: "removed", namespace, name });
    this.options.logger.info({ bucket: key }, "Bucket removed from the folder; its artifacts were deleted");
  }

  private kick(entry: Entry): void {
    entry.changes.markFull();
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
    const changes = entry.changes.take();
    // An event-driven run leaves the interval's full listing scheduled: it corrects lost or reordered events.
    if (!changes) {
      clearTimeout(entry.timer);
      entry.nextAt = undefined;
    }
    const task = this.limit(() => this.reconcileEntry(entry, changes));
    entry.running = task;
    this.emitBucket(entry);
    void task.finally(() => {
      entry.running = undefined;
      this.emitBucket(entry);
      if (entry.rerun && !entry.removed && !this.stopped) {
        entry.rerun = false;
        void this.run(entry);
      }
    });
    return task;
  }

  private async reconcileEntry(entry: Entry, changes?: ObjectChange[]): Promise<ReconcileResult> {
    const { namespace, name } = entry.object.metadata;
    const used = new Set<string>();
    if (changes) {
      const keys = changes.slice(0, 20).map((c) => c.key);
      this.options.logger.debug(
        { bucket: `${namespace}/${name}`, changes: changes.length, keys },
        "reconciling for bucket events",
      );
    }
    const result = await reconcile(
      {
        ref: { namespace, name },
        generation: entry.state.generation,
        spec: effectiveSpec(entry),
        baseDir: path.dirname(entry.file),
        annotations: entry.object.metadata.annotations,
        status: entry.state.status,
        changes,
      },
      {
        store: this.options.store,
        readSecret: (ns, secretName) => {
          used.add(`${ns}/${secretName}`);
          return Promise.resolve(this.secrets.get(`${ns}/${secretName}`));
        },
        cacheRoot: this.cacheRoot(),
        logger: this.options.logger,
        concurrency: this.options.concurrency,
        ...this.options.engine,
      },
    );
    entry.usedSecrets = used;
    entry.state = {
      ...entry.state,
      status: result.status,
      lastReconcile: { at: new Date().toISOString(), outcome: result.outcome, stats: result.stats },
    };
    if (!entry.removed) await this.states.save(namespace, name, entry.state);
    if (!entry.removed) await this.recordRevision(entry);
    for (const event of result.events) {
      entry.events.add(event);
      this.options.logger[event.type === "Warning" ? "warn" : "info"](
        { bucket: `${namespace}/${name}`, event: event.reason, ...event.annotations },
        event.message,
      );
    }
    this.options.metrics?.observe({ namespace, name }, result);
    entry.failures = result.outcome === "failed" ? entry.failures + 1 : 0;
    const interval = result.spec?.intervalMs;
    if (result.outcome === "failed") entry.changes.markFull(); // the events it applied are not published
    if (result.outcome === "failed" && interval !== undefined)
      this.schedule(entry, result.retryAfterMs ?? failureBackoff(entry.failures, interval));
    else if (result.outcome !== "suspended" && result.outcome !== "stalled" && interval !== undefined) {
      if (!changes || entry.nextAt === undefined) this.schedule(entry, nextInterval(interval));
    }
    return result;
  }

  private emitBucket(entry: Entry): void {
    const { namespace, name } = entry.object.metadata;
    if (!entry.removed) this.updates.emit({ type: "bucket", namespace, name });
  }

  // A revision the log cannot read is logged: history is a view, it never fails the reconcile.
  private async recordRevision(entry: Entry): Promise<void> {
    const artifact = entry.state.status.artifact;
    const log = this.options.revisions;
    if (!artifact || !log) return;
    const { namespace, name } = entry.object.metadata;
    await log
      .record(
        { namespace, name },
        artifact,
        this.options.store.absolute(artifact.path),
        entry.state.lastReconcile?.stats.objects,
      )
      .catch((error: unknown) => {
        this.options.logger.warn(
          { bucket: `${namespace}/${name}`, err: error },
          "recording the revision failed",
        );
      });
  }

  private cacheRoot(): string {
    return path.join(this.options.storageRoot, "cache");
  }

  private historyCacheDir(namespace: string, name: string): string {
    return path.join(this.options.storageRoot, "history-cache", namespace, name);
  }

  private view(entry: Entry): BucketView {
    const view: BucketView = {
      namespace: entry.object.metadata.namespace,
      name: entry.object.metadata.name,
      file: entry.file,
      spec: entry.object.spec,
      suspended: isSuspended(effectiveSpec(entry)),
      generation: entry.state.generation,
      status: entry.state.status,
      reconciling: entry.running !== undefined,
    };
    if (entry.state.lastReconcile) view.lastReconcile = entry.state.lastReconcile;
    if (entry.state.pin) view.pin = entry.state.pin;
    if (entry.state.suspend) view.suspend = entry.state.suspend;
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

/** The spec a Bucket is reconciled with: the YAML's, with the API's pin and suspend/resume overlaid. */
function effectiveSpec(entry: Entry): unknown {
  const spec = pinnedSpec(entry.object.spec, entry.state.pin);
  const overlay = entry.state.suspend;
  if (!overlay || typeof spec !== "object" || spec === null) return spec;
  return { ...spec, suspend: overlay.suspend };
}

/** The spec a pinned Bucket is reconciled with: the YAML's, with the pin's asOf over any asOf it has. */
function pinnedSpec(spec: unknown, pin: BucketPin | undefined): unknown {
  if (!pin || typeof spec !== "object" || spec === null) return spec;
  return { ...spec, asOf: pin.asOf };
}

function isSuspended(spec: unknown): boolean {
  return typeof spec === "object" && spec !== null && (spec as { suspend?: unknown }).suspend === true;
}

/** Keys added, removed or whose data differs between two Secret maps. */
function changedKeys(before: Map<string, SecretData>, after: Map<string, SecretData>): Set<string> {
  const changed = new Set<string>();
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if (!sameData(before.get(key), after.get(key))) changed.add(key);
  }
  return changed;
}

function sameData(a: SecretData | undefined, b: SecretData | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

// Before its first reconcile has read them, any Bucket with a Secret reference counts as using a changed one.
function usesAny(entry: Entry, changed: Set<string>): boolean {
  if (changed.size === 0) return false;
  if (!entry.usedSecrets) return referencesSecrets(entry.object.spec);
  return [...entry.usedSecrets].some((key) => changed.has(key));
}

function referencesSecrets(spec: unknown): boolean {
  if (typeof spec !== "object" || spec === null) return false;
  const s = spec as Record<string, unknown>;
  return ["secretRef", "certSecretRef", "proxySecretRef", "sts"].some((k) => s[k] !== undefined);
}
