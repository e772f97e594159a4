// The state a sweep through the versions keeps: the current version of every key, which of them a scan would
// publish, and what the last reported state published; a closed change costs one pass that hashes the index lines
// (Flux's revision cannot be updated in place), the counts come from the keys the change touched.
import { createHash } from "node:crypto";
import type { ObjectVersion } from "../providers/types.js";
import { buildIgnoreFilter, type IgnoreLayer } from "./ignore-rules.js";
import { findKeyConflicts, KeyConflictError } from "./key-set.js";
import { assertSafeKey } from "./safe-key.js";
import { SOURCE_IGNORE } from "./scan.js";
import type { ReadVersion, StateOptions } from "./history-state.js";
import type { VersionTable } from "./history-versions.js";

/** What a closed change made of the published state; undefined from close() when it published nothing new. */
export interface ClosedState {
  revision: string;
  objects: number;
  added: number;
  changed: number;
  removed: number;
  problem?: string;
}

/**
 * Slots are the table's keys by position (UTF-8 byte order: the index's order), then the root `.sourceignore`
 * (prefix ≠ ""), which is read for its rules but never published.
 */
export class SweepState {
  private readonly n: number;
  private readonly prefixDir: string;
  private readonly publishable: Uint8Array; // 0: a folder marker or under the control folder
  private readonly unsafe: (string | undefined)[]; // why assertSafeKey refuses the key (keys never change)
  private readonly slotOf = new Map<string, number>();
  private readonly current: (ObjectVersion | undefined)[];
  private readonly lines = new Map<ObjectVersion, Buffer>(); // "<key> <etag>\n" of each version, made once
  private readonly ignored: Uint8Array; // by the rules in force
  private readonly shown: (string | undefined)[]; // etag each slot published in the last reported state
  private readonly dirty = new Set<number>();
  private readonly texts = new Map<string, string>(); // .sourceignore contents by versionId
  private rootSlot = -1;
  private prefixSlot = -1;
  private rulesChanged = true;
  private conflict: string | undefined;
  private buffer = Buffer.allocUnsafe(1024 * 1024);

  constructor(
    private readonly table: VersionTable,
    private readonly read: ReadVersion,
    private readonly options: StateOptions,
  ) {
    const prefix = table.prefix;
    this.prefixDir = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
    this.n = table.keys.length;
    this.publishable = new Uint8Array(this.n);
    this.unsafe = new Array<string | undefined>(this.n);
    this.ignored = new Uint8Array(this.n);
    this.shown = new Array<string | undefined>(this.n);
    this.current = new Array<ObjectVersion | undefined>(this.n + 1);
    table.keys.forEach(({ key }, i) => {
      const control = options.controlFolder !== undefined && key.startsWith(options.controlFolder);
      this.publishable[i] = key.endsWith("/") || control ? 0 : 1;
      this.unsafe[i] = this.publishable[i] ? whyUnsafe(key) : undefined;
      this.slotOf.set(key, i);
      if (prefix === "" && key === SOURCE_IGNORE) this.rootSlot = i;
      if (this.prefixDir !== "" && key === `${this.prefixDir}${SOURCE_IGNORE}`) this.prefixSlot = i;
    });
    if (prefix !== "") this.rootSlot = this.n;
  }

  /** Makes `version` the current entry of `slot`. */
  apply(slot: number, version: ObjectVersion): void {
    this.current[slot] = version;
    if (slot === this.rootSlot || slot === this.prefixSlot) this.rulesChanged = true;
    if (slot < this.n) this.dirty.add(slot);
  }

  /** Closes a change: the published state's revision and counts, or undefined when it publishes what the last did. */
  async close(): Promise<ClosedState | undefined> {
    let all = false;
    if (this.rulesChanged) {
      await this.applyRules();
      this.rulesChanged = false;
      all = true; // any key's verdict may have changed
    }
    let added = 0;
    let changed = 0;
    let removed = 0;
    const compare = (slot: number): void => {
      const before = this.shown[slot];
      const now = this.publishedEtag(slot);
      if (before === now) return;
      if (before === undefined) added++;
      else if (now === undefined) removed++;
      else changed++;
      this.shown[slot] = now;
    };
    if (all) for (let slot = 0; slot < this.n; slot++) compare(slot);
    else for (const slot of this.dirty) compare(slot);
    this.dirty.clear();
    if (added + changed + removed === 0) return undefined;

    const { revision, objects, unsafe } = this.hash();
    // Removing keys creates no conflict; adding may (and removing may end one).
    if (added > 0 || (this.conflict !== undefined && removed > 0)) this.conflict = this.findConflict();
    const state: ClosedState = { revision, objects, added, changed, removed };
    const problem = unsafe ?? this.conflict;
    if (problem !== undefined) state.problem = problem;
    return state;
  }

  private publishedEtag(slot: number): string | undefined {
    const v = this.current[slot];
    if (!v || v.deleteMarker || this.publishable[slot] === 0 || this.ignored[slot] === 1) return undefined;
    return v.etag;
  }

  /** Flux's revision over the published slots' lines, in one buffer hashed at once. */
  private hash(): { revision: string; objects: number; unsafe: string | undefined } {
    let used = 0;
    let objects = 0;
    let unsafe: string | undefined;
    for (let slot = 0; slot < this.n; slot++) {
      if (this.shown[slot] === undefined) continue;
      const v = this.current[slot] as ObjectVersion;
      let line = this.lines.get(v);
      if (!line) this.lines.set(v, (line = Buffer.from(`${v.key} ${v.etag}\n`)));
      if (used + line.length > this.buffer.length) {
        const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, used + line.length));
        this.buffer.copy(grown, 0, 0, used);
        this.buffer = grown;
      }
      used += line.copy(this.buffer, used);
      objects++;
      unsafe ??= this.unsafe[slot];
    }
    const revision = `sha256:${createHash("sha256").update(this.buffer.subarray(0, used)).digest("hex")}`;
    return { revision, objects, unsafe };
  }

  private findConflict(): string | undefined {
    const shown = this.shown;
    const keys = this.table.keys;
    const entries = {
      *[Symbol.iterator](): Iterator<{ key: string }> {
        for (let slot = 0; slot < keys.length; slot++)
          if (shown[slot] !== undefined) yield keys[slot] as { key: string };
      },
    };
    const get = (key: string): unknown => {
      const slot = this.slotOf.get(key);
      return slot === undefined ? undefined : shown[slot];
    };
    const conflicts = findKeyConflicts({ entries, get });
    return conflicts.length === 0 ? undefined : new KeyConflictError(conflicts).message;
  }

  private async applyRules(): Promise<void> {
    const layers: IgnoreLayer[] = [];
    for (const [slot, base] of [
      [this.rootSlot, ""],
      [this.prefixSlot, this.prefixDir],
    ] as const) {
      const v = slot >= 0 ? this.current[slot] : undefined;
      if (!v || v.deleteMarker) continue;
      let text = this.texts.get(v.versionId);
      if (text === undefined) this.texts.set(v.versionId, (text = (await this.read(v)).toString("utf8")));
      layers.push({ patterns: text, base });
    }
    if (this.options.ignore) layers.push({ patterns: this.options.ignore, base: "" });
    const filter = layers.length === 0 ? undefined : buildIgnoreFilter(layers);
    const keys = this.table.keys;
    for (let slot = 0; slot < this.n; slot++)
      this.ignored[slot] =
        filter && this.publishable[slot] && filter((keys[slot] as { key: string }).key) ? 1 : 0;
  }
}

function whyUnsafe(key: string): string | undefined {
  try {
    assertSafeKey(key);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
