// The change points of a prefix over time: one sweep through its versions in time order, keeping the current
// state (history-sweep) and hashing it only when a change closes.
//
// Grouping. Versions are not commits: an `aws s3 sync` writes one object after another over seconds. So:
// - when the prefix holds versions of a push index object (`.bucketops/index.json`, written last by
//   `bucketops push`), each version of it closes one change: the push's complete state; between two index
//   versions nothing else closes a change (a slow push stays one change);
// - otherwise (and before the first / after the last index version) versions chain into one change while each is
//   within `windowMs` (default 2 s) of the one before; a longer quiet gap closes the change.
// A change point is reported only when it changes the published state (its revision differs from the one
// before): a change that touches only ignored or control objects is no new state.
import type { ObjectVersion } from "../providers/types.js";
import { SOURCE_IGNORE } from "./scan.js";
import type { ReadVersion, StateOptions } from "./history-state.js";
import { SweepState } from "./history-sweep.js";
import type { VersionTable } from "./history-versions.js";

/** The default quiet gap that separates two changes without a push index. */
export const DEFAULT_CHANGE_WINDOW_MS = 2000;

/** The key of the push index under a prefix folder: publish/index-object's INDEX_OBJECT_NAME (a test checks). */
export const PUSH_INDEX_NAME = ".bucketops/index.json";

/** One distinct state of the prefix and how it differs from the one before. */
export interface ChangePoint {
  /** When the state was complete (its last version's time): it holds from then until the next change point. */
  time: Date;
  /** The first version's time of the change (equals `time` for a single write). */
  start: Date;
  /** Flux's revision of the published index: the one the state had while it was live. */
  revision: string;
  /** Published objects in the state. */
  objects: number;
  added: number;
  changed: number;
  removed: number;
  /** Closed by a version of the push index (a `bucketops push`). */
  push: boolean;
  /** Why a scan of this state fails (an unsafe key, a key conflict): it was never published as an artifact. */
  problem?: string;
}

export interface TimelineOptions extends StateOptions {
  /** Quiet gap that closes a change (without a push index), default DEFAULT_CHANGE_WINDOW_MS. */
  windowMs?: number;
  /** Only change points at or after this time. */
  since?: Date;
  /** Only the newest `limit` change points. */
  limit?: number;
}

interface Event {
  slot: number;
  v: ObjectVersion;
  time: number;
  /** A version of the push index (closes a change). */
  push: boolean;
}

/**
 * The change points of the prefix, newest first (see the grouping above). Each state is filtered as a live scan
 * is (.sourceignore files as of that state, spec.ignore, control folder); its revision is computed once, when its
 * change closes. Throws what `read` throws for a `.sourceignore`.
 */
export async function changePoints(
  table: VersionTable,
  read: ReadVersion,
  options: TimelineOptions = {},
): Promise<ChangePoint[]> {
  const windowMs = options.windowMs ?? DEFAULT_CHANGE_WINDOW_MS;
  const prefixDir = table.prefix === "" || table.prefix.endsWith("/") ? table.prefix : `${table.prefix}/`;
  const pushKey = `${prefixDir}${PUSH_INDEX_NAME}`;
  const events = sweepOrder(table, pushKey);
  let firstPush = -1;
  let lastPush = -1;
  events.forEach((e, i) => {
    if (!e.push) return;
    if (firstPush < 0) firstPush = i;
    lastPush = i;
  });

  const sweep = new SweepState(table, read, options);
  const points: ChangePoint[] = [];
  let start = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Event;
    if (i === 0 || closesAfter(events, i - 1, windowMs, firstPush, lastPush)) start = e.time;
    sweep.apply(e.slot, e.v);
    if (!closesAfter(events, i, windowMs, firstPush, lastPush)) continue;
    const state = await sweep.close();
    if (state === undefined) continue; // nothing published changed: no new state
    const point: ChangePoint = { time: new Date(e.time), start: new Date(start), ...state, push: e.push };
    points.push(point);
  }
  const since = options.since?.getTime() ?? -Infinity;
  const newestFirst = points.filter((p) => p.time.getTime() >= since).reverse();
  return options.limit === undefined ? newestFirst : newestFirst.slice(0, options.limit);
}

/**
 * Every entry in time order, each key's own entries oldest first (their listing order reversed, which also
 * orders entries of the same time); at equal times a push index version comes last (a push writes it last).
 */
function sweepOrder(table: VersionTable, pushKey: string): Event[] {
  const events: Event[] = [];
  const add = (slot: number, versions: readonly ObjectVersion[], key: string): void => {
    for (let j = versions.length - 1; j >= 0; j--) {
      const v = versions[j] as ObjectVersion;
      events.push({ slot, v, time: v.lastModified.getTime(), push: key === pushKey && !v.deleteMarker });
    }
  };
  table.keys.forEach(({ key, versions }, slot) => {
    add(slot, versions, key);
  });
  add(table.keys.length, table.rootIgnore, SOURCE_IGNORE);
  // Array.prototype.sort is stable: a key's entries keep their order among equal times.
  return events.sort((a, b) => a.time - b.time || Number(a.push) - Number(b.push));
}

/** Whether the change that event `i` belongs to closes with it. */
function closesAfter(
  events: readonly Event[],
  i: number,
  windowMs: number,
  firstPush: number,
  lastPush: number,
): boolean {
  const e = events[i] as Event;
  const next = events[i + 1];
  if (next === undefined || e.push) return true;
  if (firstPush < i && i < lastPush) return false; // inside a push: only the next index version closes it
  return next.time - e.time > windowMs;
}
