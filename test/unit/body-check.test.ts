// The streaming body check (size + listed MD5), and the digests the providers list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { BodyCheck, type ExpectedBody } from "../../src/source/body-check.js";
import { markListedMd5Void, md5FromBase64, md5FromEtag, ProviderError } from "../../src/providers/types.js";

const md5 = (data: string | Buffer): string => createHash("md5").update(data).digest("hex");
const chunks = (...parts: string[]): Readable => Readable.from(parts.map((p) => Buffer.from(p)));

/** Reads `body` as the cache does, through a BodyCheck (update per chunk, end after the last); returns its text. */
async function checkedText(body: Readable, expected: ExpectedBody): Promise<string> {
  const check = new BodyCheck(body, expected);
  const parts: Buffer[] = [];
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      check.update(chunk);
      parts.push(chunk);
    }
    check.end();
  } catch (error) {
    throw check.explain(error);
  }
  return Buffer.concat(parts).toString();
}

/** Rejects with a Transient ProviderError whose message matches `pattern`. */
async function rejectsTransient(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProviderError, `a ProviderError, got ${String(error)}`);
    assert.equal(error.kind, "Transient");
    assert.match(error.message, pattern);
    return true;
  });
}

void test("a body of the listed size and MD5 passes through byte for byte", async () => {
  const text = await checkedText(chunks("hello ", "world"), { key: "k", size: 11, md5: md5("hello world") });
  assert.equal(text, "hello world");
});

void test("a body shorter than listed fails at its end: Transient, naming the key, the listed and the actual size", async () => {
  await rejectsTransient(
    checkedText(chunks("abc"), { key: "dir/a.yaml", size: 10 }),
    /"dir\/a\.yaml".*size 3 bytes does not match the listing's 10 bytes/,
  );
});

void test("a body longer than listed fails at the chunk that passes the size, before the rest is read", async () => {
  let pulled = 0;
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield Buffer.alloc(1000);
      }
    })(),
    { highWaterMark: 1 },
  );
  await rejectsTransient(
    checkedText(source, { key: "k", size: 1500 }),
    /size more than 1500 bytes does not match the listing's 1500 bytes/,
  );
  assert.ok(pulled < 10, `the source was abandoned early (pulled ${pulled} of 100 chunks)`);
});

void test("one flipped byte at the same length fails the MD5 check, naming both digests", async () => {
  const good = Buffer.from("x".repeat(4096));
  const bad = Buffer.from(good);
  bad[2000] = (bad[2000] ?? 0) ^ 0x01;
  await rejectsTransient(
    checkedText(Readable.from([bad]), { key: "k", size: good.length, md5: md5(good) }),
    new RegExp(`MD5 ${md5(bad)} does not match the listing's ${md5(good)}`),
  );
});

void test("a body its provider marked as not described by the listed MD5 is checked for size only", async () => {
  const body = markListedMd5Void(chunks("kms-encrypted"));
  assert.equal(await checkedText(body, { key: "k", size: 13, md5: md5("something else") }), "kms-encrypted");
});

void test("the body's own error (a reset mid-body) is explained as Transient, naming the key and bytes so far", async () => {
  const source = new Readable({ read(): void {} });
  source.push(Buffer.from("par"));
  setImmediate(() => source.destroy(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
  await rejectsTransient(
    checkedText(source, { key: "k", size: 10 }),
    /"k": body broke off after 3 of 10 bytes: socket hang up/,
  );
});

void test("an error that is not the body's own (e.g. the disk) is not re-labelled", () => {
  const check = new BodyCheck(chunks("x"), { key: "k", size: 1 });
  const disk = Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
  assert.equal(check.explain(disk), disk);
});

void test("md5FromEtag: only 32 hex digits (single-part); multipart and other etags give none", () => {
  const hex = md5("a");
  assert.equal(md5FromEtag(hex), hex);
  assert.equal(md5FromEtag(hex.toUpperCase()), hex);
  assert.equal(md5FromEtag(`${hex}-3`), undefined);
  assert.equal(md5FromEtag("0x8DC1234567890AB"), undefined);
  assert.equal(md5FromEtag(""), undefined);
});

void test("md5FromBase64: GCS md5Hash and Azure Content-MD5 to hex; anything not 16 bytes gives none", () => {
  const digest = createHash("md5").update("a").digest();
  assert.equal(md5FromBase64(digest.toString("base64")), digest.toString("hex"));
  assert.equal(md5FromBase64(new Uint8Array(digest)), digest.toString("hex"));
  assert.equal(md5FromBase64("AAAAAA=="), undefined, "a 4-byte crc32c is not an MD5");
  assert.equal(md5FromBase64(undefined), undefined);
});
