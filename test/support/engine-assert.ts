// Assertions on reconcile() results and stored artifacts, shared by the engine integration tests.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { findCondition, type Artifact } from "../../src/api/status.js";
import { extractTarGz } from "../../src/artifact/extract.js";
import type { ReconcileResult } from "../../src/engine/reconcile.js";
import type { EngineEnv } from "./engine-env.js";
import { makeTempDir, removeDir } from "./temp.js";

/** Ready=True/Succeeded with an artifact in status; returns the artifact. */
export function assertReady(result: ReconcileResult): Artifact {
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "True", `Ready should be True: ${ready?.message ?? "no Ready condition"}`);
  assert.equal(ready.reason, "Succeeded");
  assert.ok(result.status.artifact, "status.artifact is set");
  return result.status.artifact;
}

/** A failed reconcile: Ready=False and FetchFailed=True, both with `reason`; returns Ready's message. */
export function assertFailed(result: ReconcileResult, reason: string): string {
  assert.equal(result.outcome, "failed");
  const ready = findCondition(result.status, "Ready");
  assert.equal(ready?.status, "False");
  assert.equal(ready.reason, reason, `Ready reason (message: ${ready.message})`);
  const fetchFailed = findCondition(result.status, "FetchFailed");
  assert.equal(fetchFailed?.status, "True");
  assert.equal(fetchFailed.reason, reason);
  return ready.message;
}

/** `sha256:<hex>` of a file, as artifact digests are written. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/**
 * Extracts a stored artifact (with src/artifact/extract.ts) into a temp folder under `env.dir`, removed after,
 * and returns its files (path → bytes).
 */
export async function artifactBuffers(
  env: Pick<EngineEnv, "dir" | "store">,
  artifact: Artifact,
): Promise<Map<string, Buffer>> {
  const out = await makeTempDir("extract", env.dir);
  try {
    const names = await extractTarGz(createReadStream(env.store.absolute(artifact.path)), out);
    const files = new Map<string, Buffer>();
    for (const name of names) files.set(name, await readFile(path.join(out, name)));
    return files;
  } finally {
    await removeDir(out);
  }
}

/** Extracts a stored artifact (with src/artifact/extract.ts) and returns its files (path → UTF-8 content). */
export async function artifactFiles(
  env: Pick<EngineEnv, "dir" | "store">,
  artifact: Artifact,
): Promise<Map<string, string>> {
  const files = await artifactBuffers(env, artifact);
  return new Map([...files].map(([name, bytes]) => [name, bytes.toString("utf8")]));
}

export function assertSameFiles(actual: Map<string, string>, expected: Record<string, string>): void {
  assert.deepEqual([...actual.keys()].sort(), Object.keys(expected).sort());
  for (const [name, content] of Object.entries(expected))
    assert.equal(actual.get(name), content, `content of ${name}`);
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

/** One line of figures for a diagnostic. */
export function brief(r: ReconcileResult): string {
  const s = r.stats;
  return (
    `${r.outcome}: objects=${s.objects} list=${s.listRequests} get=${s.getRequests} ` +
    `cacheHits=${s.cacheHits} in ${seconds(s.durationMs)}`
  );
}
