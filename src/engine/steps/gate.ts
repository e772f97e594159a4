// Step: the consistency gate (spec.consistency, spec.verify) between the listing and the fetch. Only a state that
// matches the index object (or, with settle, a listing that stayed unchanged) goes on to be published.
import type { KeyObject } from "node:crypto";
import type { BucketSpec } from "../../api/normalize.js";
import {
  indexObjectKey,
  IndexFormatError,
  MAX_INDEX_BYTES,
  parseIndex,
  prefixFolder,
  type IndexObject,
} from "../../publish/index-object.js";
import { verifyIndex } from "../../publish/signature.js";
import { readThroughCache } from "../../source/scan.js";
import { ConsistencyWait, VerificationFailedError } from "../gate/errors.js";
import type { GateInfo } from "../gate/gate-info.js";
import { readGateState, waitBackoff, writeGateState, type GateState } from "../gate/gate-state.js";
import { describeTally, matchIndex } from "../gate/match-index.js";
import { mismatchError } from "../gate/mismatch.js";
import { trustedKeys } from "../gate/trusted-keys.js";
import type { StepContext } from "./context.js";
import type { Scanned } from "./scan.js";

/**
 * Applies spec.consistency to the scanned listing; returns the state to publish (the indexed objects only) or throws
 * ConsistencyWait (retry soon), VerificationFailedError, ContentMismatchError or IndexFormatError.
 */
export async function gateStep(ctx: StepContext, state: Scanned): Promise<Scanned> {
  const { spec, cache } = state;
  const stateFile = cache.metaPath("gate-state.json");
  const gate: GateInfo = { stateFile, state: await readGateState(stateFile) };
  const waiting = async (message: string, retryAfterMs?: number): Promise<never> => {
    gate.state.waits++;
    await writeGateState(stateFile, gate.state);
    throw new ConsistencyWait(message, retryAfterMs ?? waitBackoff(gate.state.waits, spec.intervalMs));
  };
  const mode = spec.consistency ?? "auto";
  if (mode === "none") return { ...state, gate };
  if (mode === "settle") {
    await settle(ctx, state, gate, waiting);
    return { ...state, gate };
  }

  const key = indexObjectKey(spec.prefix);
  const info = state.scan.control.find((o) => o.key === key);
  if (!info) {
    if (mode === "auto" && !spec.verify) return { ...state, gate };
    return waiting(
      `waiting for a consistent upload: index object '${key}' not found (consistency: ${spec.verify ? "verify" : mode})`,
    );
  }
  if (info.size > MAX_INDEX_BYTES)
    throw new IndexFormatError(`index object is ${info.size} bytes, above the ${MAX_INDEX_BYTES} limit`);
  const object = parseIndex(await readThroughCache(state.provider, cache, info, state.signal));
  const folder = prefixFolder(spec.prefix);
  gate.index = { key, etag: info.etag, object, folder };
  if (spec.verify) gate.keyId = verified(object, key, await keys(ctx, spec));

  const match = matchIndex(state.index, object.files, folder, state.scan.isIgnored);
  if (match.missing.count > 0) {
    const n = match.missing.count;
    return waiting(
      `waiting for a consistent upload: ${n} indexed object${n === 1 ? " is" : "s are"} not listed, first ${describeTally(match.missing)}`,
    );
  }
  if (mode === "strict" && match.extras.count > 0) {
    const n = match.extras.count;
    return waiting(
      `waiting for a consistent upload: ${n} listed key${n === 1 ? " is" : "s are"} not in the index (consistency: strict), first ${describeTally(match.extras)}`,
    );
  }
  if (match.sizeMismatch.count > 0) {
    const n = match.sizeMismatch.count;
    await contentMismatch(
      ctx,
      state,
      gate,
      `${n} object${n === 1 ? "" : "s"} with another size than the index, first ${describeTally(match.sizeMismatch)}`,
    );
  }
  const published = match.published;
  if (published === state.index) return { ...state, gate };
  ctx.trail.scanned = published;
  ctx.stats.objects = published.size;
  const revision = published.revision();
  if (ctx.trail.previous?.revision === revision) delete ctx.trail.newRevision;
  else ctx.trail.newRevision = revision;
  return { ...state, index: published, revision, gate };
}

/**
 * Throws for a size or digest mismatch: a ConsistencyWait while it is young, a ContentMismatchError once it has
 * outlived an upload (see gate/mismatch). Saves the state either way.
 */
export async function contentMismatch(
  ctx: StepContext,
  state: Scanned,
  gate: GateInfo,
  what: string,
): Promise<never> {
  gate.state.waits++;
  const error = mismatchError(
    {
      state: gate.state,
      indexEtag: gate.index?.etag ?? "",
      revision: state.scan.index.revision(),
      now: ctx.now(),
      verify: state.spec.verify !== undefined,
      retryAfterMs: waitBackoff(gate.state.waits, state.spec.intervalMs),
    },
    what,
  );
  await writeGateState(gate.stateFile, gate.state);
  throw error;
}

/** Saves what a published state leaves behind: no wait, no mismatch, the index it was checked against. */
export async function recordPublished(gate: GateInfo | undefined): Promise<void> {
  if (!gate) return;
  const next: GateState = { ...gate.state, waits: 0 };
  delete next.mismatch;
  if (gate.index) next.publishedIndex = gate.index.etag;
  else delete next.publishedIndex;
  if (JSON.stringify(next) !== JSON.stringify(gate.state)) await writeGateState(gate.stateFile, next);
}

async function settle(
  ctx: StepContext,
  state: Scanned,
  gate: GateInfo,
  waiting: (message: string, retryAfterMs?: number) => Promise<never>,
): Promise<void> {
  const settleMs = state.spec.settleMs ?? 0;
  if (ctx.trail.previous?.revision === state.revision) return; // published already: nothing to settle
  const now = ctx.now().getTime();
  const seen = gate.state.settle;
  if (seen?.revision !== state.revision) {
    gate.state.settle = { revision: state.revision, since: new Date(now).toISOString() };
    await waiting(
      `waiting for the listing to settle: revision '${state.revision}' is new; published once unchanged for ${settleMs / 1000}s`,
      settleMs,
    );
  }
  const age = now - Date.parse(seen?.since ?? "");
  if (!(age >= settleMs)) {
    await waiting(
      `waiting for the listing to settle: revision '${state.revision}' unchanged for ${(Math.max(age, 0) / 1000).toFixed(1)}s of ${settleMs / 1000}s`,
      Math.max(settleMs - age, 100),
    );
  }
}

async function keys(ctx: StepContext, spec: BucketSpec): Promise<KeyObject[]> {
  const ref = spec.verify?.secretRef.name ?? "";
  return trustedKeys(ctx.deps.readSecret, ctx.input.ref.namespace, ref);
}

function verified(object: IndexObject, key: string, trusted: readonly KeyObject[]): string {
  const check = verifyIndex(object, trusted);
  if (!check.valid) throw new VerificationFailedError(`index object '${key}': ${check.reason}`);
  return check.keyId;
}
