// Step: after the fetch, every published object's sha256 (from the cached bytes, remembered per key and etag) must
// equal the index's. Without an index there is nothing to check.
import { DigestMemo } from "../gate/digests.js";
import type { StepContext } from "./context.js";
import type { Fetched } from "./fetch.js";
import { contentMismatch } from "./gate.js";

/** Throws ConsistencyWait or ContentMismatchError (see the gate) naming the first object that differs. */
export async function digestsStep(ctx: StepContext, state: Fetched): Promise<Fetched> {
  const index = state.gate?.index;
  if (!state.gate || !index) return state;
  const memo = await DigestMemo.load(state.cache.metaPath("digests.json"));
  let first: string | undefined;
  let count = 0;
  for (let i = 0; i < state.index.size; i++) {
    const key = state.index.keyAt(i);
    const expected = index.object.files[key.slice(index.folder.length)]?.sha256;
    if ((await memo.sha256(state.cache, key, state.index.etagAt(i))) === expected) continue;
    if (count++ === 0) first = key;
  }
  await memo.save();
  ctx.log.debug({ hashed: memo.hashed }, "digests checked against the index");
  if (count > 0) {
    const others = count > 1 ? ` and ${count - 1} more` : "";
    await contentMismatch(
      ctx,
      state,
      state.gate,
      `${count} object${count === 1 ? "'s" : "s'"} sha256 differ${count === 1 ? "s" : ""} from the index, first '${first ?? ""}'${others}`,
    );
  }
  return state;
}
