// Checks of the key set as a whole, which no single key shows: a key that is also another key's folder, and keys
// that differ only in Unicode normalization. Either would lose a file on extraction (GNU tar drops one of `x` and
// `x/y.yaml` silently; APFS and other normalizing file systems merge NFC/NFD twins).

/** Two or more keys that cannot all become files of one directory tree. */
export interface KeyConflict {
  kind: "file-folder" | "nfc-twins";
  /** The keys involved, in index order: for file-folder, the file key first. */
  keys: string[];
}

/** The published keys cannot all be extracted; names the keys and how to fix it. Becomes InvalidPath. */
export class KeyConflictError extends Error {
  override readonly name = "KeyConflictError";
  readonly conflicts: readonly KeyConflict[];
  constructor(conflicts: readonly KeyConflict[]) {
    const shown = conflicts.slice(0, MAX_REPORTED).map(describe);
    const more = conflicts.length > MAX_REPORTED ? `; and ${conflicts.length - MAX_REPORTED} more` : "";
    super(`${shown.join("; ")}${more}; rename or delete one object of each, or exclude one with spec.ignore`);
    this.conflicts = conflicts;
  }
  /** Every key named by the conflicts. */
  get keys(): string[] {
    return this.conflicts.flatMap((c) => c.keys);
  }
}

const MAX_REPORTED = 5;

/** The minimal view of the index this check needs: keys in sorted order, and lookup by key. */
export interface KeySet {
  readonly entries: Iterable<{ key: string }>;
  get(key: string): unknown;
}

/**
 * Finds file/folder collisions and NFC/NFD twins among the keys of `index`. Each folder is looked up once per run of
 * keys that share it (the keys are sorted), and only keys that are not in NFC go into a map, so the check costs a
 * few lookups a key and little memory at a million ASCII keys. Returns the conflicts, empty when there are none.
 */
export function findKeyConflicts(index: KeySet): KeyConflict[] {
  const conflicts: KeyConflict[] = [];
  const byNfc = new Map<string, string[]>();
  const reportedFiles = new Set<string>(); // one conflict per file key, not one per key below it
  let lastFolder = "";
  for (const { key } of index.entries) {
    const slashAt = key.lastIndexOf("/");
    if (slashAt > 0 && !(slashAt === lastFolder.length && key.startsWith(lastFolder))) {
      for (let slash = key.indexOf("/"); slash >= 0; slash = key.indexOf("/", slash + 1)) {
        const ancestor = key.slice(0, slash);
        if (!reportedFiles.has(ancestor) && index.get(ancestor) !== undefined) {
          reportedFiles.add(ancestor);
          conflicts.push({ kind: "file-folder", keys: [ancestor, key] });
        }
      }
      lastFolder = key.slice(0, slashAt);
    }
    if (NON_ASCII.test(key)) {
      const nfc = key.normalize("NFC");
      if (nfc !== key) {
        const twins = byNfc.get(nfc);
        if (twins) twins.push(key);
        else byNfc.set(nfc, index.get(nfc) === undefined ? [key] : [nfc, key]);
      }
    }
  }
  for (const keys of byNfc.values()) if (keys.length > 1) conflicts.push({ kind: "nfc-twins", keys });
  return conflicts;
}

/** Throws KeyConflictError when findKeyConflicts finds any conflict. */
export function assertNoKeyConflicts(index: KeySet): void {
  const conflicts = findKeyConflicts(index);
  if (conflicts.length > 0) throw new KeyConflictError(conflicts);
}

const NON_ASCII = /[\u0080-\uffff]/;

function describe(conflict: KeyConflict): string {
  if (conflict.kind === "file-folder") {
    const [file = "", other = ""] = conflict.keys;
    return (
      `object key ${JSON.stringify(file)} is both a file and the folder of ${JSON.stringify(other)}, ` +
      "which an archive cannot hold (tar extraction drops one)"
    );
  }
  return (
    `object keys ${conflict.keys.map(escaped).join(" and ")} are the same name after Unicode NFC normalization ` +
    "(file systems that normalize names would merge them)"
  );
}

/** JSON string form with every non-ASCII character escaped, so NFC/NFD twins look different in the message. */
function escaped(key: string): string {
  return JSON.stringify(key).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
