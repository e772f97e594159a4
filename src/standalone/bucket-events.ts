// What the runner announces as it works, so the dashboard's event stream pushes changes instead of being polled.

/** One change: a Bucket's state moved (reconcile started or finished), or the folder was re-read. */
export type RunnerEvent =
  | { type: "bucket"; namespace: string; name: string }
  | { type: "removed"; namespace: string; name: string }
  | { type: "folder" };

/** A tiny synchronous publisher: listeners are called in order; one that throws does not stop the others. */
export class RunnerEvents {
  private readonly listeners = new Set<(event: RunnerEvent) => void>();

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (event: RunnerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls every listener with `event`. */
  emit(event: RunnerEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure (a closed socket) is its own concern
      }
    }
  }
}
