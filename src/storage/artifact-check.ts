// Whether a stored artifact still holds the bytes its record names: a stat every time, a hash only when needed.
import { createHash } from "node:crypto";
import { createReadStream, type BigIntStats } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Artifact } from "../api/status.js";

/** What a check found: the file is intact, gone, or holds other bytes than its record (with why). */
export type ArtifactCheck = { state: "intact" } | { state: "missing" } | { state: "damaged"; reason: string };

/** Computes `sha256:<hex>` of a file; injectable so tests can count hashes. */
export type FileHasher = (file: string) => Promise<string>;

/** Streams the file through sha256. */
export const sha256File: FileHasher = async (file) => {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return `sha256:${hash.digest("hex")}`;
};

/** The identity of a file's content as far as stat tells: any write, replacement or touch changes one of these. */
interface Fingerprint {
  digest: string;
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/**
 * Remembers, per absolute path, the stat fingerprint under which a file last had a known digest, so a file nobody
 * touched is not hashed again: one entry per current artifact, in memory only (so the first check in a process
 * hashes).
 */
export class ArtifactVerifier {
  private readonly verified = new Map<string, Fingerprint>();

  constructor(private readonly hashFile: FileHasher = sha256File) {}

  /** Records that `file` (as it is now) has `digest`, e.g. right after writing it. */
  async remember(file: string, digest: string): Promise<void> {
    this.verified.set(file, fingerprint(await stat(file, { bigint: true }), digest));
  }

  /** Forgets a file (deleted, or no longer current). */
  forget(file: string): void {
    this.verified.delete(file);
  }

  /** Forgets every file under a folder (a Bucket's artifacts removed). */
  forgetUnder(dir: string): void {
    for (const file of this.verified.keys()) if (file.startsWith(dir + path.sep)) this.verified.delete(file);
  }

  /**
   * Compares `file` with its record: a size that differs is damage (no hash needed); otherwise the file is hashed
   * unless its fingerprint equals the last verified one for the same digest. Fails only if the file cannot be read.
   */
  async check(file: string, record: Pick<Artifact, "digest" | "size">): Promise<ArtifactCheck> {
    let info: BigIntStats;
    try {
      info = await stat(file, { bigint: true });
    } catch {
      return { state: "missing" };
    }
    if (!info.isFile()) return { state: "missing" };
    if (info.size !== BigInt(record.size)) {
      this.forget(file);
      return { state: "damaged", reason: `size ${info.size} differs from the recorded ${record.size}` };
    }
    if (sameFingerprint(this.verified.get(file), fingerprint(info, record.digest)))
      return { state: "intact" };
    const digest = await this.hashFile(file);
    if (digest !== record.digest) {
      this.forget(file);
      return { state: "damaged", reason: `digest ${digest} differs from the recorded ${record.digest}` };
    }
    this.verified.set(file, fingerprint(info, digest));
    return { state: "intact" };
  }
}

function fingerprint(info: BigIntStats, digest: string): Fingerprint {
  return {
    digest,
    dev: info.dev,
    ino: info.ino,
    size: info.size,
    mtimeNs: info.mtimeNs,
    ctimeNs: info.ctimeNs,
  };
}

function sameFingerprint(a: Fingerprint | undefined, b: Fingerprint): boolean {
  return (
    a !== undefined &&
    a.digest === b.digest &&
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}
