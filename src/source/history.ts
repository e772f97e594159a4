// The history of a prefix: its versions turned into states. The one entry the engine (pinning), the CLI and the
// API ask; the parts are in history-*.ts.
import type { BucketProvider } from "../providers/types.js";
import type { ContentCache } from "./content-cache.js";
import { cachedVersionReader } from "./history-content.js";
import { diffStates, type DiffOptions, type StateDiff } from "./history-diff.js";
import { resolveRef } from "./history-ref.js";
import { stateAt, type HistoryState, type ReadVersion, type StateOptions } from "./history-state.js";
import { changePoints, type ChangePoint, type TimelineOptions } from "./history-timeline.js";
import { loadVersions, type VersionTable } from "./history-versions.js";

export { cachedVersionReader } from "./history-content.js";
export { diffStates, MAX_TEXT_DIFF_BYTES } from "./history-diff.js";
export type { DiffOptions, FileDiff, FileSide, StateDiff, StateSummary } from "./history-diff.js";
export { HistoryRefError, LATEST, parseInstant, resolveRef } from "./history-ref.js";
export { stateAt, toInfo, VersionNotFoundError } from "./history-state.js";
export type { HistoryState, ReadVersion, StateOptions, VersionRef } from "./history-state.js";
export { changePoints, DEFAULT_CHANGE_WINDOW_MS, PUSH_INDEX_NAME } from "./history-timeline.js";
export type { ChangePoint, TimelineOptions } from "./history-timeline.js";
export { collectVersions, loadVersions, versionAt } from "./history-versions.js";
export type { KeyVersions, VersionTable } from "./history-versions.js";

/** The control folder a scan sets aside under a prefix (engine/gate's controlFolder: a test checks they agree). */
export function historyControlFolder(prefix: string): string {
  return `${prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`}.bucketops/`;
}

export interface HistoryOptions extends StateOptions {
  /** Quiet gap that closes a change without a push index (see history-timeline), default 2 s. */
  windowMs?: number;
}

export interface LoadHistoryOptions extends HistoryOptions {
  prefix: string;
  signal?: AbortSignal;
}

/** One prefix's versions, listed once, and the states, change points and diffs they make. */
export class BucketHistory {
  private points: Promise<ChangePoint[]> | undefined;

  constructor(
    readonly table: VersionTable,
    private readonly read: ReadVersion,
    private readonly options: HistoryOptions = {},
  ) {}

  /**
   * Lists the prefix's versions (listVersions; the root .sourceignore's too when the prefix is not ""); contents
   * (the .sourceignore files, a diff's files) are read through `cache` by versionId. `controlFolder` defaults to
   * the prefix's `.bucketops/`, as a reconcile sets it. Throws ProviderError ("NotVersioned" for a bucket that
   * keeps no versions).
   */
  static async load(
    provider: BucketProvider,
    cache: ContentCache,
    options: LoadHistoryOptions,
  ): Promise<BucketHistory> {
    const table = await loadVersions(provider, options.prefix, options.signal);
    const settings: HistoryOptions = {
      ...options,
      controlFolder: options.controlFolder ?? historyControlFolder(options.prefix),
    };
    return new BucketHistory(table, cachedVersionReader(provider, cache, options.signal), settings);
  }

  /** The state at `at` (see stateAt). */
  stateAt(at: Date): Promise<HistoryState> {
    return stateAt(this.table, at, this.read, this.options);
  }

  /** Change points newest first (see changePoints); the sweep runs once, `since`/`limit` filter its result. */
  async changePoints(options: Pick<TimelineOptions, "since" | "limit"> = {}): Promise<ChangePoint[]> {
    this.points ??= changePoints(this.table, this.read, this.options);
    const all = await this.points;
    const since = options.since?.getTime() ?? -Infinity;
    const kept = all.filter((p) => p.time.getTime() >= since);
    return options.limit === undefined ? kept : kept.slice(0, options.limit);
  }

  /** The instant a time, revision (or unique prefix) or "latest" names (see resolveRef). Throws HistoryRefError. */
  async resolve(ref: string): Promise<Date> {
    const needsPoints = ref !== "latest" && !/^\d{4}-/.test(ref);
    return resolveRef(ref, needsPoints ? await this.changePoints() : []);
  }

  /** The state a ref names. Throws HistoryRefError, or as stateAt. */
  async state(ref: string): Promise<HistoryState> {
    return this.stateAt(await this.resolve(ref));
  }

  /** The diff of the states `from` and `to` name (see diffStates). Throws HistoryRefError, or as stateAt. */
  async diff(from: string, to: string, options: DiffOptions = {}): Promise<StateDiff> {
    const [a, b] = await Promise.all([this.state(from), this.state(to)]);
    return diffStates(a, b, this.read, options);
  }
}
export { pinnedProvider } from "./history-provider.js";
