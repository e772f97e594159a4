// Retries of one write whose client cannot retry it itself (a stream body is consumed by the first attempt).
import { setTimeout as sleep } from "node:timers/promises";
import { ProviderError } from "./types.js";

/** Attempts per write, and the first backoff (doubled after each failure). */
const ATTEMPTS = 3;
const FIRST_DELAY_MS = 250;

/**
 * Runs `attempt` until it succeeds, fails with anything but a Transient ProviderError, or has run three times
 * (waiting 250 ms, then 500 ms, with jitter). Each attempt opens its own body. Stops waiting when `signal` aborts.
 * A write that reached the server although its answer was lost is sent again: a conditional write then fails with
 * Conflict (its own first attempt won the condition), which callers may check with stat.
 */
export async function withRetries<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ProviderError) || error.kind !== "Transient" || n >= ATTEMPTS) throw error;
      signal?.throwIfAborted();
      const delay = FIRST_DELAY_MS * 2 ** (n - 1);
      await sleep(delay / 2 + Math.random() * delay, undefined, { signal });
    }
  }
}
