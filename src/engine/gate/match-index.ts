// The listing against the index object: which listed objects the index names (with the recorded size), which
// indexed files are not listed, and which listed keys the index does not name.
import type { IndexObject } from "../../publish/index-object.js";
import { ObjectIndex, ObjectIndexBuilder } from "../../source/object-index.js";

/** How many of a kind, and the first in key order. */
export interface Tally {
  count: number;
  first?: string;
}

export interface IndexMatch {
  /** The listed objects the index names, in key order: what may be published. */
  published: ObjectIndex;
  /** Indexed files not listed (and not excluded by the Bucket's ignore rules). */
  missing: Tally;
  /** Listed objects whose size differs from the index. */
  sizeMismatch: Tally;
  /** Listed keys the index does not name. */
  extras: Tally;
}

/**
 * Matches `listing` (full keys, ignore rules applied) with the index's `files` (paths relative to `folder`, the
 * prefix's folder). An indexed file the ignore rules exclude is not required: it is not published either way.
 */
export function matchIndex(
  listing: ObjectIndex,
  files: IndexObject["files"],
  folder: string,
  isIgnored: (key: string) => boolean,
): IndexMatch {
  const sizeMismatch: Tally = { count: 0 };
  const extras: Tally = { count: 0 };
  const missing: Tally = { count: 0 };
  // The published subset is copied only once an extra key shows up (most listings have none).
  let kept: ObjectIndexBuilder | undefined;
  let matched = 0;
  for (let i = 0; i < listing.size; i++) {
    const key = listing.keyAt(i);
    const record = key.startsWith(folder) ? lookup(files, key.slice(folder.length)) : undefined;
    if (!record) {
      if (!kept) {
        kept = new ObjectIndexBuilder();
        for (let j = 0; j < i; j++) kept.addFrom(listing, j);
      }
      count(extras, key);
      continue;
    }
    matched++;
    if (record.size !== listing.sizeAt(i)) count(sizeMismatch, key);
    kept?.addFrom(listing, i);
  }
  const rels = Object.keys(files);
  // Every indexed file matched a listed key: none is missing. Otherwise `first` is the smallest missing key in the
  // listing's (UTF-8) order, whatever the index's order.
  for (let n = 0; matched < rels.length && n < rels.length; n++) {
    const key = `${folder}${rels[n] ?? ""}`;
    if (listing.get(key) !== undefined || isIgnored(key)) continue;
    if (missing.first === undefined || compareUtf8(key, missing.first) < 0) missing.first = key;
    missing.count++;
  }
  const published = kept ? new ObjectIndex(kept) : listing;
  return { published, missing, sizeMismatch, extras };
}

/** "<first>" and how many more, for a condition message. */
export function describeTally(tally: Tally): string {
  const others = tally.count - 1;
  return `'${tally.first ?? ""}'${others > 0 ? ` and ${others} more` : ""}`;
}

function lookup(files: IndexObject["files"], rel: string): IndexObject["files"][string] | undefined {
  return Object.hasOwn(files, rel) ? files[rel] : undefined;
}

function count(tally: Tally, key: string): void {
  if (tally.count++ === 0) tally.first = key;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
