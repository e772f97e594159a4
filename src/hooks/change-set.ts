// The objects events named for one Bucket since its last reconcile: one entry a key, the latest event winning.
import type { ObjectChange } from "../source/object-change.js";

/** Beyond this many keys a full listing is cheaper than asking for each one. */
export const MAX_CHANGES = 1000;

/** An ObjectChange with the service's per-object sequence, when the event carried one (see BucketEvent.order). */
export interface OrderedChange {
  change: ObjectChange;
  order?: string;
}

/**
 * Accumulates changes for one Bucket. `take()` yields the changes for the next reconcile, or undefined when that
 * reconcile must list everything: a full one was asked for, nothing was recorded, or there were too many keys.
 */
export class ChangeSet {
  private full = false;
  private readonly byKey = new Map<string, OrderedChange>();

  /** Records changes (the later of two events for a key wins); undefined asks for a full listing. */
  add(changes: readonly OrderedChange[] | undefined): void {
    if (changes === undefined) {
      this.markFull();
      return;
    }
    if (this.full) return;
    for (const next of changes) {
      const previous = this.byKey.get(next.change.key);
      if (previous && isEarlier(next.order, previous.order)) continue;
      this.byKey.set(next.change.key, next);
    }
    if (this.byKey.size > MAX_CHANGES) this.markFull();
  }

  /** Asks for a full listing, which covers every change recorded. */
  markFull(): void {
    this.full = true;
    this.byKey.clear();
  }

  get isEmpty(): boolean {
    return !this.full && this.byKey.size === 0;
  }

  /** The changes for the next reconcile (undefined: list everything), and an empty set again. */
  take(): ObjectChange[] | undefined {
    const changes =
      this.full || this.byKey.size === 0 ? undefined : [...this.byKey.values()].map((c) => c.change);
    this.full = false;
    this.byKey.clear();
    return changes;
  }
}

/** Whether sequence `a` is before `b`; unknown when either is missing (then arrival order decides). */
function isEarlier(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const width = Math.max(a.length, b.length);
  return a.padStart(width, "0") < b.padStart(width, "0");
}
