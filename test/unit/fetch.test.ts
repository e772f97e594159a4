// fetchIndex: retries with backoff (injected, so no test sleeps), which failures are retried, body checks, abort.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  ProviderError,
  type BucketProvider,
  type ObjectInfo,
  type ObjectVersion,
  type VersioningState,
} from "../../src/providers/types.js";
import { ContentCache } from "../../src/source/content-cache.js";
import { fetchIndex } from "../../src/source/fetch.js";
import { ObjectIndex } from "../../src/source/object-index.js";
import { tempDir } from "../support/temp.js";

const md5 = (data: string): string => createHash("md5").update(data).digest("hex");

/** What one GET of a key does: answer a body, or throw. */
type Answer = string | Error | ((signal: AbortSignal | undefined) => Promise<Readable>);

/**
 * A BucketProvider over scripted answers: the n-th GET of a key gets the n-th answer (the last one repeats), so
 * a test says exactly which attempts fail. Records every GET.
 */
function scriptedProvider(script: Record<string, Answer[]>): BucketProvider & { gets: string[] } {
  const gets: string[] = [];
  const counts = new Map<string, number>();
  return {
    gets,
    requests: { list: 0, get: 0, head: 0, put: 0, delete: 0 },
    list(): AsyncIterable<ObjectInfo> {
      throw new Error("not listed in these tests");
    },
    async get(key, options = {}): Promise<Readable> {
      gets.push(key);
      this.requests.get++;
      const n = counts.get(key) ?? 0;
      counts.set(key, n + 1);
      const answers = script[key] ?? [new ProviderError("NotFound", `${key}: not scripted`)];
      const answer = answers[Math.min(n, answers.length - 1)] as Answer;
      if (typeof answer === "string") return Readable.from([Buffer.from(answer)]);
      if (answer instanceof Error) throw answer;
      return answer(options.signal);
    },
    stat(): Promise<ObjectInfo | undefined> {
      throw new Error("not stat'ed in these tests");
    },
    versioning(): Promise<VersioningState> {
      throw new Error("versioning is not asked in these tests");
    },
    listVersions(): AsyncIterable<ObjectVersion> {
      throw new Error("versions are not listed in these tests");
    },
    close(): void {},
  };
}

async function setup(
  t: { after: (fn: () => Promise<void>) => void },
  objects: Record<string, string>,
): Promise<{ cache: ContentCache; dir: string; index: ObjectIndex }> {
  const dir = await tempDir(t, "fetch");
  const index = new ObjectIndex(
    Object.entries(objects).map(([key, body]) => ({
      key,
      etag: md5(body),
      size: Buffer.byteLength(body),
      md5: md5(body),
    })),
  );
  return { cache: new ContentCache(dir), dir, index };
}

/** A backoff that records its calls and returns at once. */
function recordingBackoff(): { calls: number[]; backoff: (attempt: number) => Promise<void> } {
  const calls: number[] = [];
  return { calls, backoff: (attempt) => (calls.push(attempt), Promise.resolve()) };
}

const transient = (what: string): ProviderError =>
  new ProviderError("Transient", `${what}: connection reset`);

void test("transient failures are retried after backoff(1), backoff(2); the third attempt's body is cached", async (t) => {
  const { cache, dir, index } = await setup(t, { a: "good a" });
  const provider = scriptedProvider({ a: [transient("a"), transient("a"), "good a"] });
  const { calls, backoff } = recordingBackoff();
  const stats = await fetchIndex(index, provider, cache, { concurrency: 1, attempts: 3, backoff });
  assert.deepEqual(provider.gets, ["a", "a", "a"]);
  assert.deepEqual(calls, [1, 2]);
  assert.equal(stats.downloaded, 1);
  assert.equal((await new ContentCache(dir).read("a", md5("good a"))).toString(), "good a");
});

void test("after `attempts` transient failures the last error is thrown and the object is not cached", async (t) => {
  const { cache, dir, index } = await setup(t, { a: "good a" });
  const provider = scriptedProvider({ a: [transient("a")] });
  const { calls, backoff } = recordingBackoff();
  await assert.rejects(
    fetchIndex(index, provider, cache, { concurrency: 1, attempts: 4, backoff }),
    /connection reset/,
  );
  assert.equal(provider.gets.length, 4);
  assert.deepEqual(calls, [1, 2, 3]);
  assert.equal(await new ContentCache(dir).has("a", md5("good a")), false);
});

void test("NotFound, Unauthorized and Invalid are not retried: one GET, no backoff", async (t) => {
  for (const kind of ["NotFound", "Unauthorized", "Invalid"] as const) {
    const { cache, index } = await setup(t, { a: "good a" });
    const provider = scriptedProvider({ a: [new ProviderError(kind, `a: ${kind}`), "good a"] });
    const { calls, backoff } = recordingBackoff();
    await assert.rejects(fetchIndex(index, provider, cache, { concurrency: 1, backoff }), new RegExp(kind));
    assert.deepEqual(provider.gets, ["a"], kind);
    assert.deepEqual(calls, [], kind);
  }
});

void test("a body cut short, then one with a flipped byte, are retried as transient; only the good body is cached", async (t) => {
  const good = "0123456789abcdef";
  const flipped = "0123456789abcdeF";
  const { cache, dir, index } = await setup(t, { a: good });
  const provider = scriptedProvider({ a: ["0123456789", flipped, good] });
  const { calls, backoff } = recordingBackoff();
  await fetchIndex(index, provider, cache, { concurrency: 1, attempts: 3, backoff });
  assert.deepEqual(calls, [1, 2]);
  assert.equal((await new ContentCache(dir).read("a", md5(good))).toString(), good);
});

void test("a flipped byte on every attempt fails the fetch with the MD5 mismatch and caches nothing", async (t) => {
  const { cache, dir, index } = await setup(t, { a: "abc" });
  const provider = scriptedProvider({ a: ["abd"] });
  const { backoff } = recordingBackoff();
  await assert.rejects(
    fetchIndex(index, provider, cache, { concurrency: 1, backoff }),
    /MD5 .* does not match/,
  );
  assert.equal(provider.gets.length, 3, "the default is 3 attempts");
  assert.equal(await new ContentCache(dir).has("a", md5("abc")), false);
});

void test("an abort during backoff stops the fetch: it rejects with the abort reason and sends no further GET", async (t) => {
  const { cache, index } = await setup(t, { a: "good a" });
  const provider = scriptedProvider({ a: [transient("a"), "good a"] });
  const controller = new AbortController();
  const backoff = (): Promise<void> => {
    controller.abort(new Error("reconcile timed out"));
    return Promise.resolve();
  };
  await assert.rejects(
    fetchIndex(index, provider, cache, { concurrency: 1, signal: controller.signal, backoff }),
    /reconcile timed out/,
  );
  assert.deepEqual(provider.gets, ["a"]);
});

void test("a failure that is not retried aborts the downloads in flight; objects finished before stay cached", async (t) => {
  const { cache, dir, index } = await setup(t, { a: "aaa", b: "bbb", c: "ccc" });
  let slowSignal: AbortSignal | undefined;
  const provider = scriptedProvider({
    a: ["aaa"],
    // b never answers until its signal aborts: it is in flight when c fails
    b: [
      (signal): Promise<Readable> => {
        slowSignal = signal;
        return new Promise((_, reject) => {
          signal?.addEventListener("abort", () => {
            reject(signal.reason as Error);
          });
        });
      },
    ],
    c: [new ProviderError("Unauthorized", "c: access denied")],
  });
  const { backoff } = recordingBackoff();
  // concurrency 2: a, then b (hangs) beside c (fails)
  await assert.rejects(fetchIndex(index, provider, cache, { concurrency: 2, backoff }), /access denied/);
  assert.equal(slowSignal?.aborted, true, "the GET in flight was aborted");
  const again = new ContentCache(dir);
  assert.equal(await again.has("a", md5("aaa")), true, "a was fetched and flushed");
  assert.equal(await again.has("b", md5("bbb")), false);
  assert.equal(await again.has("c", md5("ccc")), false);
});

void test("cached objects are not fetched again: the second fetch sends no GET", async (t) => {
  const { cache, dir, index } = await setup(t, { a: "aaa", b: "bbb" });
  await fetchIndex(index, scriptedProvider({ a: ["aaa"], b: ["bbb"] }), cache, { concurrency: 2 });
  const provider = scriptedProvider({});
  const stats = await fetchIndex(index, provider, new ContentCache(dir), { concurrency: 2 });
  assert.deepEqual(provider.gets, []);
  assert.equal(stats.cacheHits, 2);
});
