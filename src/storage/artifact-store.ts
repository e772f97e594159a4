// Artifacts on disk: bucket/<namespace>/<name>/<digest-hex>.tar.gz plus latest.tar.gz, written atomically, GC'd.
import { randomBytes } from "node:crypto";
import { open, mkdir, readdir, rename, rm, stat, symlink, unlink, utimes } from "node:fs/promises";
import path from "node:path";
import type { Artifact } from "../api/status.js";

export interface BucketRef {
  namespace: string;
  name: string;
}

export interface StoreOptions {
  root: string;
  /** Base URL consumers use to download, e.g. http://bucketops.flux-system.svc; a function when only known later. */
  baseUrl: string | (() => string);
  /** How many artifacts to keep per Bucket, the current one included (Flux: --artifact-retention-records). */
  retentionRecords: number;
  /** Older non-current artifacts are deleted after this long (Flux: --artifact-retention-ttl). */
  retentionTtlMs: number;
  now?: () => Date;
}

export const LATEST = "latest.tar.gz";
const ARTIFACT_RE = /^[0-9a-f]{64}\.tar\.gz$/;

/** The artifact store both runtimes share; one instance per storage root. */
export class ArtifactStore {
  readonly root: string;
  private readonly options: StoreOptions;
  private readonly now: () => Date;

  constructor(options: StoreOptions) {
    this.options = options;
    this.root = path.resolve(options.root);
    this.now = options.now ?? ((): Date => new Date());
  }

  /** Storage-relative directory of a Bucket's artifacts. */
  relativeDir(ref: BucketRef): string {
    return path.posix.join("bucket", ref.namespace, ref.name);
  }

  /** URL of a storage-relative path. */
  urlFor(relativePath: string): string {
    const base = typeof this.options.baseUrl === "function" ? this.options.baseUrl() : this.options.baseUrl;
    return `${base.replace(/\/+$/, "")}/${relativePath}`;
  }

  /** The status.url Flux reports: the Bucket's latest.tar.gz. */
  latestUrl(ref: BucketRef): string {
    return this.urlFor(path.posix.join(this.relativeDir(ref), LATEST));
  }

  /** Absolute path of a storage-relative path, refusing anything that leaves the root. */
  absolute(relativePath: string): string {
    const full = path.resolve(this.root, relativePath);
    if (!full.startsWith(this.root + path.sep))
      throw new Error(`path '${relativePath}' is outside the storage root`);
    return full;
  }

  /**
   * Builds an artifact with `write(tmpPath)` and publishes it: fsync, rename to `<digest-hex>.tar.gz`, then
   * repoint latest.tar.gz. A failure leaves the previous artifact and link untouched.
   */
  async put(
    ref: BucketRef,
    revision: string,
    write: (tmpPath: string) => Promise<{ digest: string; size: number }>,
  ): Promise<Artifact> {
    const relDir = this.relativeDir(ref);
    const dir = this.absolute(relDir);
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.tmp-${randomBytes(8).toString("hex")}`);
    try {
      const { digest, size } = await write(tmp);
      await fsyncFile(tmp);
      const fileName = `${digest.replace(/^sha256:/, "")}.tar.gz`;
      const now = this.now();
      await utimes(tmp, now, now); // GC orders by mtime
      await rename(tmp, path.join(dir, fileName));
      await this.pointLatest(dir, fileName);
      await fsyncFile(dir);
      const relPath = path.posix.join(relDir, fileName);
      return {
        path: relPath,
        url: this.urlFor(relPath),
        revision,
        digest,
        size,
        lastUpdateTime: now.toISOString(),
      };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /** Whether the artifact's file is still on disk. */
  async exists(artifact: Pick<Artifact, "path">): Promise<boolean> {
    try {
      return (await stat(this.absolute(artifact.path))).isFile();
    } catch {
      return false;
    }
  }

  /**
   * Deletes old artifacts of a Bucket: never `current`; others beyond the retention count, or older than the TTL.
   * Returns the deleted file names.
   */
  async gc(ref: BucketRef, current: Pick<Artifact, "path">): Promise<string[]> {
    const dir = this.absolute(this.relativeDir(ref));
    const currentName = path.posix.basename(current.path);
    const candidates: { name: string; mtimeMs: number }[] = [];
    for (const name of await readdir(dir)) {
      if (name === currentName || !ARTIFACT_RE.test(name)) continue;
      candidates.push({ name, mtimeMs: (await stat(path.join(dir, name))).mtimeMs });
    }
    candidates.sort((a, b) => b.mtimeMs - a.mtimeMs);
    const keepOthers = Math.max(0, this.options.retentionRecords - 1);
    const cutoff = this.now().getTime() - this.options.retentionTtlMs;
    const doomed = candidates.filter((c, i) => i >= keepOthers || c.mtimeMs < cutoff).map((c) => c.name);
    for (const name of doomed) await rm(path.join(dir, name), { force: true });
    return doomed;
  }

  /** Removes every artifact of a Bucket (on deletion). */
  async remove(ref: BucketRef): Promise<void> {
    await rm(this.absolute(this.relativeDir(ref)), { recursive: true, force: true });
  }

  private async pointLatest(dir: string, fileName: string): Promise<void> {
    const tmpLink = path.join(dir, `.tmp-link-${randomBytes(8).toString("hex")}`);
    await symlink(fileName, tmpLink);
    try {
      await rename(tmpLink, path.join(dir, LATEST));
    } catch (error) {
      await unlink(tmpLink).catch(() => undefined);
      throw error;
    }
  }
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
