// What the gate remembers between reconciles (a small JSON file in the Bucket's cache folder): when a listing was
// first seen (settle), when a content mismatch was first seen (upload vs tampering), and how long it has waited.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

export interface GateState {
  /** consistency settle: the revision last seen, and since when (RFC 3339). */
  settle?: { revision: string; since: string };
  /** A content mismatch: the index etag and listing revision it was seen with, and since when. */
  mismatch?: { indexEtag: string; revision: string; since: string };
  /** Consecutive waits, for the retry backoff (reset when a state is published). */
  waits: number;
  /** The etag of the index object the stored artifact was checked against. */
  publishedIndex?: string;
}

/** Reads the state; a missing or unreadable file is a fresh state (timers start again: never earlier than due). */
export async function readGateState(file: string): Promise<GateState> {
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as Partial<GateState>;
    return { ...parsed, waits: typeof parsed.waits === "number" ? parsed.waits : 0 };
  } catch {
    return { waits: 0 };
  }
}

/** Saves the state atomically (temp file + rename; a leftover temp file is pruned with the cache). */
export async function writeGateState(file: string, state: GateState): Promise<void> {
  const tmp = path.join(path.dirname(file), `.tmp-${randomBytes(8).toString("hex")}`);
  await mkdir(path.dirname(file), { recursive: true }); // before the cache's first write
  await writeFile(tmp, JSON.stringify(state));
  await rename(tmp, file);
}

/** Seconds-scale retry while waiting: 1s, 2s, 4s… capped at 30s and at the interval. */
export function waitBackoff(waits: number, intervalMs: number): number {
  return Math.min(30_000, intervalMs, 1000 * 2 ** Math.min(Math.max(waits - 1, 0), 10));
}
