// The last N published revisions of each Bucket, kept beside the artifacts so that the dashboard shows history and
// file diffs for any bucket, versioned or not. Per Bucket (revisions/<namespace>/<name>/):
//   log.json            newest first: revision, time, digest, size, file count, added/changed/removed counts
//   <revision-hex>.json the revision's file list (name, size, sha256)
//   text/<sha256>       the content of each text file of at most 1 MiB (shared by the revisions that hold it;
//                       deleted once no kept revision does)
// An artifact of more than MAX_FILES objects gets a log entry only (no file list, no texts, counts unknown): reading
// and keeping a 200,000-object artifact after every publish would cost more than the history is worth.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Artifact } from "../api/status.js";
import type { BucketRef } from "../storage/artifact-store.js";
import { readArtifactFiles, type ArtifactFile } from "./artifact-files.js";

/** One published revision as the history lists it. */
export interface RevisionEntry {
  revision: string;
  digest: string;
  /** When its artifact was stored (RFC 3339). */
  at: string;
  size: number;
  files: number;
  /** Against the revision published before it (all files count as added for the first one); null: not kept. */
  added: number | null;
  changed: number | null;
  removed: number | null;
}

export interface RevisionFiles {
  revision: string;
  files: ArtifactFile[];
}

/** Revisions kept per Bucket unless told otherwise. */
export const DEFAULT_KEEP = 10;
/** Artifacts with more objects than this are logged without file list or texts. */
export const MAX_FILES = 10_000;

export class RevisionLog {
  private readonly root: string;
  private readonly keep: number;

  constructor(storageRoot: string, keep: number = DEFAULT_KEEP) {
    this.root = path.join(storageRoot, "revisions");
    this.keep = Math.max(2, keep);
  }

  /**
   * Records a newly published artifact (read from `file`, its tar.gz on disk): its file list, the texts of its
   * small text files, and a log entry with counts against the newest kept revision. A revision already newest is
   * left as it is. Trims the log to the kept number and deletes texts no kept revision uses. `objects` (the
   * reconcile's count) over MAX_FILES records the entry alone, without reading the artifact. Rejects on I/O errors.
   */
  async record(ref: BucketRef, artifact: Artifact, file: string, objects?: number): Promise<void> {
    const log = await this.list(ref);
    if (log[0]?.revision === artifact.revision) return;
    const dir = this.dir(ref);
    await mkdir(path.join(dir, "text"), { recursive: true });
    if (objects !== undefined && objects > MAX_FILES) {
      const entry = { ...summary(artifact), files: objects, added: null, changed: null, removed: null };
      await this.append(ref, log, entry);
      return;
    }
    const files = await readArtifactFiles(file, (sha, text) => this.keepText(dir, sha, text));
    const previous = log[0] ? await this.files(ref, log[0].revision) : undefined;
    const counts = countChanges(previous?.files ?? [], files);
    await writeAtomic(path.join(dir, `${hex(artifact.revision)}.json`), {
      revision: artifact.revision,
      files,
    });
    await this.append(ref, log, { ...summary(artifact), files: files.length, ...counts });
  }

  private async append(ref: BucketRef, log: readonly RevisionEntry[], entry: RevisionEntry): Promise<void> {
    const kept = [entry, ...log.filter((e) => e.revision !== entry.revision)].slice(0, this.keep);
    await writeAtomic(path.join(this.dir(ref), "log.json"), kept);
    await this.prune(ref, kept);
  }

  /** The kept revisions, newest first; empty when none was recorded. */
  async list(ref: BucketRef): Promise<RevisionEntry[]> {
    return (await readJson<RevisionEntry[]>(path.join(this.dir(ref), "log.json"))) ?? [];
  }

  /** The file list of a kept revision, or undefined when it is not kept. */
  async files(ref: BucketRef, revision: string): Promise<RevisionFiles | undefined> {
    if (!/^sha256:[0-9a-f]{64}$/.test(revision)) return undefined;
    return readJson<RevisionFiles>(path.join(this.dir(ref), `${hex(revision)}.json`));
  }

  /** A kept text by its sha256, or undefined when the file was binary, larger than 1 MiB, or is no longer kept. */
  async text(ref: BucketRef, sha256: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) return undefined;
    return readFile(path.join(this.dir(ref), "text", sha256), "utf8").catch(() => undefined);
  }

  /** Deletes everything kept for a Bucket. */
  async remove(ref: BucketRef): Promise<void> {
    await rm(this.dir(ref), { recursive: true, force: true });
  }

  private dir(ref: BucketRef): string {
    return path.join(this.root, ref.namespace, ref.name);
  }

  private async keepText(dir: string, sha256: string, text: string): Promise<void> {
    const target = path.join(dir, "text", sha256);
    const tmp = `${target}.tmp-${randomBytes(6).toString("hex")}`;
    await writeFile(tmp, text, { flag: "wx" });
    await rename(tmp, target); // the same hash is the same content: replacing is harmless
  }

  private async prune(ref: BucketRef, kept: readonly RevisionEntry[]): Promise<void> {
    const dir = this.dir(ref);
    const keepNames = new Set(kept.map((e) => `${hex(e.revision)}.json`));
    const used = new Set<string>();
    for (const entry of kept)
      for (const f of (await this.files(ref, entry.revision))?.files ?? []) used.add(f.sha256);
    for (const name of await readdir(dir)) {
      if (/^[0-9a-f]{64}\.json$/.test(name) && !keepNames.has(name))
        await rm(path.join(dir, name), { force: true });
    }
    for (const name of await readdir(path.join(dir, "text"))) {
      if (!used.has(name)) await rm(path.join(dir, "text", name), { force: true });
    }
  }
}

function summary(artifact: Artifact): Pick<RevisionEntry, "revision" | "digest" | "at" | "size"> {
  return {
    revision: artifact.revision,
    digest: artifact.digest,
    at: artifact.lastUpdateTime,
    size: artifact.size,
  };
}

function countChanges(
  before: readonly ArtifactFile[],
  after: readonly ArtifactFile[],
): { added: number; changed: number; removed: number } {
  const old = new Map(before.map((f) => [f.name, f.sha256]));
  let added = 0;
  let changed = 0;
  for (const f of after) {
    const sha = old.get(f.name);
    if (sha === undefined) added++;
    else if (sha !== f.sha256) changed++;
    old.delete(f.name);
  }
  return { added, changed, removed: old.size };
}

function hex(revision: string): string {
  return revision.replace(/^sha256:/, "");
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

async function writeAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, file);
}
