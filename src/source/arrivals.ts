// Which objects are in the content cache yet: lets the artifact build start on a segment as soon as its objects
// have arrived instead of after the whole download.
type Waiter = { keys: Set<string>; resolve: () => void; reject: (error: unknown) => void };

export class Arrivals {
  private readonly arrived = new Set<string>();
  private waiters: Waiter[] = [];
  private outcome: { error: Error } | "done" | undefined;

  /** Records that `key` is cached; wakes the waiters whose keys have all arrived. */
  mark(key: string): void {
    this.arrived.add(key);
    this.waiters = this.waiters.filter((w) => {
      w.keys.delete(key);
      if (w.keys.size > 0) return true;
      w.resolve();
      return false;
    });
  }

  /** The fetch failed: every waiter (and every later wait) rejects with its error. */
  fail(error: unknown): void {
    const reason = error instanceof Error ? error : new Error(String(error));
    this.outcome = { error: reason };
    for (const w of this.waiters) w.reject(reason);
    this.waiters = [];
  }

  /** The fetch finished: waiting for a key that never arrived is a bug, reported instead of hanging. */
  done(): void {
    this.outcome = "done";
    for (const w of this.waiters) w.reject(missing(w.keys));
    this.waiters = [];
  }

  /** Resolves once every key has arrived; rejects if the fetch fails first. */
  wait(keys: Iterable<string>): Promise<void> {
    const pending = new Set([...keys].filter((k) => !this.arrived.has(k)));
    if (pending.size === 0) return Promise.resolve();
    if (typeof this.outcome === "object") return Promise.reject(this.outcome.error);
    if (this.outcome === "done") return Promise.reject(missing(pending));
    return new Promise((resolve, reject) => this.waiters.push({ keys: pending, resolve, reject }));
  }
}

function missing(keys: Set<string>): Error {
  return new Error(`fetch finished without ${keys.size} object(s), e.g. ${JSON.stringify([...keys][0])}`);
}
