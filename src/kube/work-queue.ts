// A keyed work queue: each key is queued at most once, processed by one worker at a time, and can be delayed.

export type Handler = (key: string) => Promise<void>;

/**
 * Like client-go's rate-limited queue, in small: `add` de-duplicates, a key being processed is re-queued
 * after it finishes if it was added meanwhile, `addAfter` keeps only the earliest pending delay per key.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiting: (() => void)[] = [];
  private shuttingDown = false;
  private readonly workers: Promise<void>[] = [];

  /** Queues `key` now (unless already queued). */
  add(key: string): void {
    if (this.shuttingDown) return;
    this.clearTimer(key);
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiting.shift()?.();
  }

  /** Queues `key` after `delayMs`; an earlier pending delay for the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    this.clearTimer(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, timer });
  }

  /** Drops pending delays of a key (deleted objects). */
  forget(key: string): void {
    this.clearTimer(key);
  }

  /** Starts `concurrency` workers calling `handler`; a handler error is the handler's to report. */
  run(concurrency: number, handler: Handler): void {
    for (let i = 0; i < concurrency; i++) this.workers.push(this.work(handler));
  }

  /** Stops taking work and waits for handlers in flight. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const key of [...this.timers.keys()]) this.clearTimer(key);
    for (const wake of this.waiting) wake();
    this.waiting = [];
    await Promise.all(this.workers);
  }

  get length(): number {
    return this.queue.length;
  }

  private async work(handler: Handler): Promise<void> {
    for (;;) {
      const key = await this.next();
      if (key === undefined) return;
      this.active.add(key);
      try {
        await handler(key);
      } finally {
        this.active.delete(key);
        if (this.dirty.delete(key)) this.add(key);
      }
    }
  }

  private async next(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.shuttingDown) return undefined;
    const key = this.queue.shift();
    if (key !== undefined) this.queued.delete(key);
    return key;
  }

  private clearTimer(key: string): void {
    const entry = this.timers.get(key);
    if (entry) clearTimeout(entry.timer);
    this.timers.delete(key);
  }
}
