import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeListedKey, listingDecoder } from "../../src/providers/s3-encoding.js";
import { ProviderError } from "../../src/providers/types.js";

void test("decodeListedKey decodes S3's url encoding: + is a space, %2B a plus, %XX UTF-8 bytes", () => {
  assert.equal(decodeListedKey("a+b%2Bc%25d"), "a b+c%d");
  assert.equal(decodeListedKey("ctl/%01x%1B%0D%0A.yaml"), "ctl/\x01x\x1b\r\n.yaml");
  assert.equal(decodeListedKey("u/%C3%BC%F0%9F%98%80"), "u/ü😀");
  assert.equal(decodeListedKey("plain/key.yaml"), "plain/key.yaml");
});

void test("decodeListedKey throws ProviderError (Invalid) naming the value for bad escapes and non-UTF-8 bytes", () => {
  for (const bad of ["a%zz", "a%", "%C3", "%FF"]) {
    assert.throws(
      () => decodeListedKey(bad),
      (error: unknown) =>
        error instanceof ProviderError &&
        error.kind === "Invalid" &&
        error.message.includes(JSON.stringify(bad)),
      bad,
    );
  }
});

void test("listingDecoder decodes only pages that say EncodingType url", () => {
  assert.equal(listingDecoder("url")("a+b"), "a b");
  assert.equal(listingDecoder(undefined)("a+b"), "a+b");
});
