// Retries of one write: only for failures a provider marks Transient (timeouts, 5xx, throttling, resets). A provider's
// writer already retries each write a few times within a second; these retries wait longer, for a brief outage.
import { setTimeout as sleep } from "node:timers/promises";
import { ProviderError } from "../providers/types.js";

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** Delay before the first retry; each further one waits 4× longer (with up to 50% jitter). */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 1000 };

/**
 * Runs `attempt` until it succeeds, fails with a non-Transient error, or `policy.retries` retries are spent; the last
 * error is rethrown as it is. `signal` cuts a wait short (rejecting with its reason).
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const transient = error instanceof ProviderError && error.kind === "Transient";
      if (!transient || n >= policy.retries || signal?.aborted) throw error;
      const delay = policy.baseDelayMs * 4 ** n * (1 + Math.random() / 2);
      await sleep(delay, undefined, signal ? { signal } : {});
    }
  }
}
