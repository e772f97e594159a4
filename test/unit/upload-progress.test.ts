// The push progress bar: drawn on a terminal, silent on a pipe.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { createUploadProgress } from "../../src/cli/upload-progress.js";

/** A stream that says it is (or is not) a terminal, collecting what is written to it. */
function stream(isTTY: boolean): { out: NodeJS.WriteStream; text: () => string } {
  const pass = new PassThrough();
  let text = "";
  pass.on("data", (c: Buffer) => (text += c.toString()));
  const out = Object.assign(pass, {
    isTTY,
    columns: 120,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  }) as unknown as NodeJS.WriteStream;
  return { out, text: () => text };
}

test("createUploadProgress on a terminal draws objects and megabytes uploaded against the plan's totals", async () => {
  const tty = stream(true);
  const bar = createUploadProgress(tty.out);
  bar.start(2, 3_000_000);
  bar.uploaded(1_000_000);
  bar.uploaded(2_000_000);
  bar.stop();
  await new Promise((resolve) => setImmediate(resolve));
  assert.match(tty.text(), /2\/2 objects \| 3\.0\/3\.0 MB uploaded/);
});

test("createUploadProgress writes nothing when the stream is not a terminal, nor when there is nothing to upload", async () => {
  const pipe = stream(false);
  const silent = createUploadProgress(pipe.out);
  silent.start(2, 10);
  silent.uploaded(10);
  silent.stop();
  const tty = stream(true);
  const empty = createUploadProgress(tty.out);
  empty.start(0, 0);
  empty.stop();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(pipe.text(), "");
  assert.equal(tty.text(), "");
});
