// Artifacts on disk: bucket/<namespace>/<name>/<digest-hex>.tar.gz plus latest.tar.gz, written atomically, GC'd.
import { randomBytes } from "node:crypto";
import { open, mkdir, readdir, readlink, rename, rm, stat, symlink, unlink, utimes } from "node:fs/promises";
import path from "node:path";
import type { Artifact } from "../api/status.js";
import { ArtifactVerifier, type ArtifactCheck, type FileHasher } from "./artifact-check.js";
import { sweepTempFiles, sweepTempTree, WritesInFlight } from "./temp-files.js";

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
  /** Hashes a stored artifact to verify it (default: sha256 of the file); replaceable so tests can count hashes. */
  hashFile?: FileHasher;
}

export const LATEST = "latest.tar.gz";
const ARTIFACT_RE = /^[0-9a-f]{64}\.tar\.gz$/;

/** The artifact store both runtimes share; one instance per storage root. */
export class ArtifactStore {
  readonly root: string;
  private readonly options: StoreOptions;
  private readonly now: () => Date;
  private readonly verifier: ArtifactVerifier;
  private readonly writes: WritesInFlight;

  constructor(options: StoreOptions) {
    this.options = options;
    this.root = path.resolve(options.root);
    this.now = options.now ?? ((): Date => new Date());
    this.verifier = new ArtifactVerifier(options.hashFile);
    this.writes = new WritesInFlight(); // the real clock: temp files get real mtimes, whatever `now` says
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
    const done = this.writes.begin(tmp);
    try {
      const { digest, size } = await write(tmp);
      await fsyncFile(tmp);
      const fileName = `${digest.replace(/^sha256:/, "")}.tar.gz`;
      const now = this.now();
      await utimes(tmp, now, now); // GC orders by mtime
      await rename(tmp, path.join(dir, fileName));
      await this.verifier.remember(path.join(dir, fileName), digest); // written just now: no need to hash it again
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
      done();
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
   * Checks the current artifact against its record (see ArtifactVerifier: a stat each time, a hash at the first check
   * in this process and after any change of the file) and, when intact, repoints latest.tar.gz at it if it does not.
   */
  async check(ref: BucketRef, artifact: Pick<Artifact, "path" | "digest" | "size">): Promise<ArtifactCheck> {
    const file = this.absolute(artifact.path);
    const result = await this.verifier.check(file, artifact);
    if (result.state !== "intact") return result;
    const dir = this.absolute(this.relativeDir(ref));
    const fileName = path.posix.basename(artifact.path);
    if (path.dirname(file) === dir && (await readlink(path.join(dir, LATEST)).catch(() => "")) !== fileName)
      await this.pointLatest(dir, fileName);
    return result;
  }

  /** Deletes a damaged artifact's file, so nothing serves it (latest.tar.gz dangles until the next put). */
  async discard(artifact: Pick<Artifact, "path">): Promise<void> {
    const file = this.absolute(artifact.path);
    this.verifier.forget(file);
    await rm(file, { force: true });
  }

  /**
   * Removes temp files crashed writes left anywhere under the root (artifacts, content cache, state), sparing those
   * of writes in flight and younger ones. Call before reconciles start; returns the removed paths.
   */
  sweepTemp(): Promise<string[]> {
    return sweepTempTree(this.root, this.writes);
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
    for (const name of doomed) {
      this.verifier.forget(path.join(dir, name));
      await rm(path.join(dir, name), { force: true });
    }
    // Temp files of crashed writes (GC skips names it does not know otherwise); not listed in the result.
    await sweepTempFiles(dir, this.writes);
    return doomed;
  }

  /** Removes every artifact of a Bucket (on deletion). */
  async remove(ref: BucketRef): Promise<void> {
    const dir = this.absolute(this.relativeDir(ref));
    this.verifier.forgetUnder(dir);
    await rm(dir, { recursive: true, force: true });
    // The Helm repository views built from its artifacts (src/helm/view-cache.ts).
    await rm(this.absolute(path.posix.join("helm", ref.namespace, ref.name)), {
      recursive: true,
      force: true,
    });
  }

  private async pointLatest(dir: string, fileName: string): Promise<void> {
    const tmpLink = path.join(dir, `.tmp-link-${randomBytes(8).toString("hex")}`);
    const done = this.writes.begin(tmpLink);
    try {
      await symlink(fileName, tmpLink);
      await rename(tmpLink, path.join(dir, LATEST));
    } catch (error) {
      await unlink(tmpLink).catch(() => undefined);
      throw error;
    } finally {
      done();
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
