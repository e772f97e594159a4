// Applying what a bucket told about some keys to a built index: the core of the event-driven scan.
import type { ObjectInfo } from "../providers/types.js";
import { ObjectIndex, ObjectIndexBuilder } from "./object-index.js";

/** A key's current record (what a listing would give for it), or undefined: the key is not published. */
export type KeyUpdate = Pick<ObjectInfo, "etag" | "size" | "md5"> | undefined;

/**
 * Returns `index` with each key of `updates` replaced by its record, added when new, or dropped when its update is
 * undefined; the other entries are kept as they are. Merges the two sorted lists, so the result is built in key
 * order (as a listing's is) with one copy of each kept entry and no decoding of their keys.
 */
export function applyUpdates(index: ObjectIndex, updates: ReadonlyMap<string, KeyUpdate>): ObjectIndex {
  if (updates.size === 0) return index;
  const changed = [...updates.keys()]
    .map((key) => ({ key, bytes: Buffer.from(key, "utf8") }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const out = new ObjectIndexBuilder();
  let next = 0; // the first entry of `index` not yet copied or dropped
  let previous: Buffer | undefined;
  for (const { key, bytes } of changed) {
    if (previous?.equals(bytes)) continue; // two strings, one UTF-8 spelling (lone surrogates): one key
    previous = bytes;
    const at = Math.max(next, index.lowerBound(bytes));
    for (let i = next; i < at; i++) out.addFrom(index, i);
    next = at < index.size && index.keyEquals(at, bytes) ? at + 1 : at;
    const update = updates.get(key);
    if (update) out.add(key, update.etag, update.size, update.md5);
  }
  for (let i = next; i < index.size; i++) out.addFrom(index, i);
  out.inOrder = true;
  return new ObjectIndex(out);
}
