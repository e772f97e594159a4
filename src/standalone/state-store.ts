// Runtime state kept beside the artifacts, so a restart knows every Bucket's status and downloads nothing new.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { BucketStatus } from "../api/status.js";
import type { ReconcileStats } from "../engine/reconcile.js";

export interface BucketState {
  /** Bumped whenever the spec changes: standalone's stand-in for metadata.generation. */
  generation: number;
  specHash: string;
  status: BucketStatus;
  lastReconcile?: { at: string; outcome: string; stats: ReconcileStats };
  /** A pin set through the API (`bucketops pin --server`): overlays the YAML's spec.asOf until unpinned. */
  pin?: BucketPin;
  /** Set by POST …/suspend and …/resume: overlays the YAML's spec.suspend (the file is never rewritten). */
  suspend?: BucketSuspend;
}

/** A suspend or resume asked for through the API. */
export interface BucketSuspend {
  /** The spec.suspend reconciled with, whatever the YAML says. */
  suspend: boolean;
  /** When it was asked for. */
  at: string;
}

/** A Bucket pinned to a past state of its prefix. */
export interface BucketPin {
  /** RFC 3339 time written into the spec as asOf. */
  asOf: string;
  /** What was asked for (a time or a revision), as given. */
  to: string;
  /** When the pin was set. */
  at: string;
}

/** Hash of a spec, to notice edits of the YAML. */
export function specHash(spec: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify(spec ?? null))
    .digest("hex");
}

export class StateStore {
  private readonly dir: string;
  constructor(root: string) {
    this.dir = path.join(root, "state");
  }

  private file(namespace: string, name: string): string {
    return path.join(this.dir, namespace, `${name}.json`);
  }

  /** The saved state, or undefined if there is none (or it is unreadable: the Bucket then starts afresh). */
  async load(namespace: string, name: string): Promise<BucketState | undefined> {
    try {
      return JSON.parse(await readFile(this.file(namespace, name), "utf8")) as BucketState;
    } catch {
      return undefined;
    }
  }

  /** Writes the state atomically (temp file + rename). */
  async save(namespace: string, name: string, state: BucketState): Promise<void> {
    const file = this.file(namespace, name);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(6).toString("hex")}`;
    await writeFile(tmp, JSON.stringify(state, null, 2));
    await rename(tmp, file);
  }

  async remove(namespace: string, name: string): Promise<void> {
    await rm(this.file(namespace, name), { force: true });
  }
}
