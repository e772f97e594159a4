// `bucketops fetch` limit flags and --timeout, run as a user would (dist/: `npm run build` first) on a file:// bucket.
import assert from "node:assert/strict";
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { runCli, type CliResult } from "../support/cli.js";
import { writeSizedBucket } from "../support/sized-bucket.js";
import { tempDir } from "../support/temp.js";

interface Work {
  data: string;
  fetch(extra: string[]): Promise<CliResult & { out: string }>;
}

/** A bucket of 3 objects (100 + 3000 + 5000 bytes) in 200 folders' company, and a fetch into a fresh directory. */
async function work(t: TestContext): Promise<Work> {
  const dir = await tempDir(t, "fetch-flags");
  const data = path.join(dir, "data");
  await writeSizedBucket(data);
  let n = 0;
  return {
    data,
    async fetch(extra) {
      const out = path.join(dir, `out-${n++}`);
      const cache = path.join(dir, `cache-${n}`);
      return {
        out,
        ...(await runCli(["fetch", `file://${data}`, "-o", out, "--cache-dir", cache, ...extra])),
      };
    },
  };
}

test("fetch --max-objects, --max-object-size, --max-total-size: exceeded, each exits 1 with LimitExceeded naming the flag, value and figure and writes nothing; within them, all files are written", async (t) => {
  const w = await work(t);
  const cases: [string[], RegExp][] = [
    [
      ["--max-objects", "2"],
      /LimitExceeded: limit maxObjects exceeded: 3 objects to publish, over maxObjects \(the runtime's --max-objects\) = 2/,
    ],
    [
      ["--max-object-size", "4Ki"],
      /LimitExceeded: limit maxObjectSize exceeded: object "docs\/notes\.md" is 4\.9 KiB \(5000 bytes\), over maxObjectSize \(the runtime's --max-object-size\) = 4Ki/,
    ],
    [
      ["--max-total-size", "8000"],
      /LimitExceeded: limit maxTotalSize exceeded: the objects to publish total 7\.9 KiB \(8100 bytes\), over maxTotalSize \(the runtime's --max-total-size\) = 7\.8 KiB \(8000 bytes\)/,
    ],
  ];
  for (const [flags, message] of cases) {
    const result = await w.fetch(flags);
    assert.equal(result.code, 1, `${flags.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.deepEqual(await readdir(result.out).catch(() => []), [], `${flags.join(" ")} writes nothing`);
  }
  const within = await w.fetch([
    "--max-objects",
    "3",
    "--max-object-size",
    "5000",
    "--max-total-size",
    "8100",
  ]);
  assert.equal(within.code, 0, within.stderr);
  assert.deepEqual((await readdir(within.out, { recursive: true })).sort(), [
    "a.yaml",
    "big.bin",
    "docs",
    "docs/notes.md",
  ]);
});

test("fetch limit flags refuse values that are not sizes or counts with exit 2 and what is allowed", async (t) => {
  const w = await work(t);
  for (const [flags, message] of [
    [["--max-object-size", "1GB"], /--max-object-size.*must be a byte size such as/],
    [["--max-total-size", "0"], /--max-total-size.*must be a byte size such as/],
    [["--max-objects", "1.5"], /--max-objects.*must be a whole number of 1 or more/],
  ] as const) {
    const result = await w.fetch([...flags]);
    assert.equal(result.code, 2, `${flags.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

test("fetch --timeout 1ms fails as timed out (exit 1) naming --timeout; --timeout 5m fetches; 0s and junk are usage errors (exit 2)", async (t) => {
  const w = await work(t);
  // 200 folders: the walk checks the deadline at each, so 1 ms is long gone before the listing ends.
  for (let i = 0; i < 200; i++) await mkdir(path.join(w.data, `d${i}`, "e"), { recursive: true });
  const short = await w.fetch(["--timeout", "1ms"]);
  assert.equal(short.code, 1, short.stderr);
  assert.match(short.stderr, /fetch failed: BucketOperationFailed: timed out: .*bucketops fetch --timeout/);
  const long = await w.fetch(["--timeout", "5m"]);
  assert.equal(long.code, 0, long.stderr);
  for (const bad of ["0s", "soon"]) {
    const result = await w.fetch(["--timeout", bad]);
    assert.equal(result.code, 2, `--timeout ${bad}: ${result.stderr}`);
    assert.match(result.stderr, /--timeout.*must be a duration/);
  }
});
