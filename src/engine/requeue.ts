// When to reconcile next: the interval with ±5 % jitter (as Flux), and exponential backoff after failures.

/** Delay after a successful reconcile: interval ± 5 %. */
export function nextInterval(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(intervalMs * (0.95 + 0.1 * random()));
}

/** Delay after the n-th consecutive failure (1-based): 1s, 2s, 4s… capped at the interval. */
export function failureBackoff(
  failures: number,
  intervalMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(intervalMs, 1000 * 2 ** Math.min(failures - 1, 20));
  return Math.round(base * (0.9 + 0.2 * random()));
}
