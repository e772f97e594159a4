// uploadBody: what is sent is what was hashed, or the upload fails as FileChangedError.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { test } from "node:test";
import { digestFiles } from "../../src/publish/file-digest.js";
import { FileChangedError, uploadBody } from "../../src/publish/upload-body.js";
import { tempDir } from "../support/temp.js";

async function drain(body: Buffer | (() => Readable)): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function hashed(
  t: test.TestContext,
  content: string,
): Promise<Awaited<ReturnType<typeof digestFiles>>[number] & { path: string }> {
  const file = path.join(await tempDir(t, "push-body"), "f.txt");
  await writeFile(file, content);
  const [digested] = await digestFiles([{ key: "f.txt", source: file, size: content.length }], {
    concurrency: 1,
  });
  assert.ok(digested);
  return { ...digested, path: file };
}

test("uploadBody streams exactly the hashed bytes on every attempt and check() passes", async (t) => {
  const file = await hashed(t, "hello world");
  const body = uploadBody(file);
  assert.equal((await drain(body.body)).toString(), "hello world");
  assert.equal((await drain(body.body)).toString(), "hello world", "a retry reads the file again");
  body.check();
});

test("uploadBody fails the stream and check() with FileChangedError naming the key when the file changed after hashing (same size, other bytes; grown; shrunk)", async (t) => {
  for (const [now, why] of [
    ["HELLO", /its content differs/],
    ["hello, longer", /it is now larger/],
    ["hel", /it is now 3 bytes/],
  ] as const) {
    const file = await hashed(t, "hello");
    await writeFile(file.path, now);
    const body = uploadBody(file);
    await assert.rejects(
      drain(body.body),
      (e: unknown) => e instanceof FileChangedError && why.test(e.message),
    );
    assert.throws(() => {
      body.check();
    }, /f\.txt changed while it was being pushed .*the index was not written/);
  }
});
