// Go-style durations ("5m0s", "1h30m", "500ms"), as Flux's CRD accepts them.

/** The pattern Flux's CRD uses for `interval` and `timeout`. */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

const durationRe = new RegExp(DURATION_PATTERN);
const partRe = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration into milliseconds; returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (!durationRe.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(partRe)) {
    const [, amount, unit] = match;
    total += Number(amount) * (unitMs[unit ?? ""] ?? 0);
  }
  return Math.round(total);
}

/** Formats milliseconds the way Go prints a time.Duration ("5m0s", "1h0m0s", "250ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
