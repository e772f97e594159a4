// "from" / "to" of a diff or a pin: an RFC 3339 time, a revision (or a unique prefix of one), or "latest".
import type { ChangePoint } from "./history-timeline.js";

/** An instant after every version: the latest state. */
export const LATEST = new Date(8.64e15);

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const REVISION = /^sha256:[0-9a-f]{4,64}$/;
const BARE_REVISION = /^[0-9a-f]{7,64}$/;

/** A time, revision or "latest" that names no state (malformed, unknown or ambiguous). */
export class HistoryRefError extends Error {
  override readonly name = "HistoryRefError";
}

/** The instant an RFC 3339 date-time names (with a time zone), or undefined when `text` is not one. */
export function parseInstant(text: string): Date | undefined {
  if (!RFC3339.test(text)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * The instant `ref` names: "latest" → LATEST; an RFC 3339 time → itself; a revision `sha256:<hex>` (at least 4
 * hex digits) or a bare hex prefix (at least 7) → the time of the newest change point (of `points`, the whole
 * history) with that revision. Throws HistoryRefError when it is none of these, no change point has the revision,
 * or the prefix matches two different revisions.
 */
export function resolveRef(ref: string, points: readonly ChangePoint[]): Date {
  if (ref === "latest") return LATEST;
  const instant = parseInstant(ref);
  if (instant) return instant;
  const wanted = REVISION.test(ref) ? ref : BARE_REVISION.test(ref) ? `sha256:${ref}` : undefined;
  if (wanted === undefined)
    throw new HistoryRefError(
      `${JSON.stringify(ref)} is neither an RFC 3339 time (2026-12-01T10:00:00Z), a revision (sha256:…) nor "latest"`,
    );
  const matches = points.filter((p) => p.revision.startsWith(wanted));
  const revisions = new Set(matches.map((p) => p.revision));
  if (revisions.size > 1)
    throw new HistoryRefError(`revision ${ref} is ambiguous: ${[...revisions].join(", ")}; give more digits`);
  const [newest] = matches; // points are newest first
  if (!newest) throw new HistoryRefError(`no state of the prefix had the revision ${ref}`);
  return newest.time;
}
