// Polling with a deadline: the one way tests wait for something that has no event to await.

export interface WaitOptions {
  /** Give up after this long (default 30 s: generous on a busy 2-core machine). */
  timeoutMs?: number;
  /** Pause between probes (default 150 ms). */
  intervalMs?: number;
  /** Extra text for the timeout error, e.g. the logs of the process being waited on. */
  context?: () => string;
  /** Ends the wait at once, rejecting with the signal's reason (e.g. the process being waited on exited). */
  signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns something other than `undefined`/`false` and returns that; throws
 * "timed out waiting for <what>" (with the last probe error, if any, and `context()`) when the deadline passes.
 * A probe that throws is retried: servers that are still starting refuse connections. An aborted `signal`
 * rejects at once with its reason, between probes or during the pause.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 150, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? "" : `: ${lastError}`;
      const extra = options.context ? `\n${options.context()}` : "";
      throw new Error(`timed out waiting for ${what} after ${timeoutMs} ms${cause}${extra}`);
    }
    await sleep(intervalMs, signal);
  }
}

/**
 * Resolves after `ms`; for pacing polls only, never as the thing a test asserts on. An aborted `signal` ends
 * the pause early (the caller checks the signal).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
