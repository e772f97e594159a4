// The streaming body check (size + listed MD5), and the digests the providers list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { checkedBody } from "../../src/source/body-check.js";
import { markListedMd5Void, md5FromBase64, md5FromEtag, ProviderError } from "../../src/providers/types.js";

const md5 = (data: string | Buffer): string => createHash("md5").update(data).digest("hex");
const chunks = (...parts: string[]): Readable => Readable.from(parts.map((p) => Buffer.from(p)));

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
  const out = checkedBody(chunks("hello ", "world"), { key: "k", size: 11, md5: md5("hello world") });
  assert.equal(await text(out), "hello world");
});

void test("a body shorter than listed fails at its end: Transient, naming the key, the listed and the actual size", async () => {
  const out = checkedBody(chunks("abc"), { key: "dir/a.yaml", size: 10 });
  await rejectsTransient(text(out), /"dir\/a\.yaml".*size 3 bytes does not match the listing's 10 bytes/);
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
  const out = checkedBody(source, { key: "k", size: 1500 });
  await rejectsTransient(text(out), /size more than 1500 bytes does not match the listing's 1500 bytes/);
  assert.ok(pulled < 10, `the source was abandoned early (pulled ${pulled} of 100 chunks)`);
});

void test("one flipped byte at the same length fails the MD5 check, naming both digests", async () => {
  const good = Buffer.from("x".repeat(4096));
  const bad = Buffer.from(good);
  bad[2000] = (bad[2000] ?? 0) ^ 0x01;
  const out = checkedBody(Readable.from([bad]), { key: "k", size: good.length, md5: md5(good) });
  await rejectsTransient(text(out), new RegExp(`MD5 ${md5(bad)} does not match the listing's ${md5(good)}`));
});

void test("a body its provider marked as not described by the listed MD5 is checked for size only", async () => {
  const body = markListedMd5Void(chunks("kms-encrypted"));
  const out = checkedBody(body, { key: "k", size: 13, md5: md5("something else") });
  assert.equal(await text(out), "kms-encrypted");
});

void test("the body's own error (a reset mid-body) reaches the reader of the checked stream", async () => {
  const source = new Readable({ read(): void {} });
  source.push(Buffer.from("par"));
  const out = checkedBody(source, { key: "k", size: 10 });
  setImmediate(() => source.destroy(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
  await assert.rejects(text(out), /socket hang up/);
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
