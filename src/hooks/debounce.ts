// Per-Bucket debounce of hook events: the first event opens a window; at its end one wake carries them all.
import type { BucketRef } from "../storage/artifact-store.js";
import type { ObjectChange } from "../source/object-change.js";
import { ChangeSet, type OrderedChange } from "./change-set.js";

/** Called once a window closes: reconcile `ref` with `changes` (undefined: a full listing). */
export type Wake = (ref: BucketRef, changes: ObjectChange[] | undefined) => void;

/**
 * Collects events per Bucket for `windowMs` after the first one (a fixed window, so a steady stream still wakes
 * the Bucket every window), then calls `wake` once with the merged changes.
 */
export class WakeDebouncer {
  private readonly pending = new Map<string, { ref: BucketRef; changes: ChangeSet; timer: NodeJS.Timeout }>();

  constructor(
    private readonly windowMs: number,
    private readonly wake: Wake,
  ) {}

  /** Adds events for `ref` (undefined: it needs a full reconcile). */
  add(ref: BucketRef, changes: readonly OrderedChange[] | undefined): void {
    const key = `${ref.namespace}/${ref.name}`;
    let entry = this.pending.get(key);
    if (!entry) {
      const timer = setTimeout(() => {
        this.flush(key);
      }, this.windowMs);
      entry = { ref, changes: new ChangeSet(), timer };
      this.pending.set(key, entry);
    }
    entry.changes.add(changes);
  }

  /** Drops pending windows without waking (shutdown: the next start reconciles anyway). */
  close(): void {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
  }

  private flush(key: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    this.pending.delete(key);
    this.wake(entry.ref, entry.changes.take());
  }
}
