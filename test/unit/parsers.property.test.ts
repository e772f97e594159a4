// Property-based tests (fast-check) of the spec parsers: the url shorthand, Go durations, spec normalization.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { formatDuration, parseDuration } from "../../src/api/duration.js";
import { SpecError } from "../../src/api/errors.js";
import { normalizeSpec } from "../../src/api/normalize.js";
import { parseBucketUrl } from "../../src/api/url.js";

const BASE = "/base/dir";

/** Runs `fn`; passes when it returns or throws a SpecError, fails on any other throw. */
function onlySpecErrors(fn: () => unknown): boolean {
  try {
    fn();
  } catch (error) {
    if (error instanceof SpecError) return true;
    throw error;
  }
  return true;
}

// A bucket name (no "/") and a prefix (anything, "/" included) from the full Unicode range.
const bucketName = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 20 })
  .filter((s) => !s.includes("/"));
const prefix = fc.string({ unit: "grapheme", maxLength: 40 });
// Strings shaped like urls: a scheme from the accepted ones (or not), then arbitrary text.
const urlish = fc
  .tuple(
    fc.constantFrom("s3", "gs", "azblob", "https", "http", "file", "S3", "ftp", ""),
    fc.constantFrom("://", ":/", "//", ""),
    fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }),
      // Percent escapes, good and bad, and path punctuation.
      fc.string({ unit: fc.constantFrom("%", "2", "F", "C3", "z", "/", ".", "a", "\0", "@"), maxLength: 12 }),
    ),
  )
  .map(([s, sep, rest]) => `${s}${sep}${rest}`);

void test("parseBucketUrl throws nothing but SpecError on arbitrary strings and url-shaped strings", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: "binary" }), urlish), (url) =>
      onlySpecErrors(() => parseBucketUrl(url, BASE)),
    ),
    { numRuns: 2000, examples: [["file://%"], ["file://a%zz"]] }, // found by this test: a URIError escaped
  );
});

void test("parseBucketUrl round trip: s3:// and gs:// give back the bucket and prefix they were formatted from", () => {
  fc.assert(
    fc.property(fc.constantFrom("s3", "gs"), bucketName, prefix, (scheme, bucket, p) => {
      const parts = parseBucketUrl(`${scheme}://${bucket}/${p}`, BASE);
      assert.equal(parts.bucketName, bucket);
      assert.equal(parts.prefix, p);
      assert.deepEqual(parts.providers, scheme === "s3" ? ["aws", "generic"] : ["gcp"]);
      assert.equal(parts.endpoint, undefined);
      // Without a "/" after the bucket, the prefix is empty.
      assert.equal(parseBucketUrl(`${scheme}://${bucket}`, BASE).prefix, "");
    }),
    { examples: [["s3", "b", "line\nbreak/"]] }, // found by this test: a newline made it "no scheme"
  );
});

void test("parseBucketUrl round trip: azblob://<account>/<container>/<prefix> and the https form agree", () => {
  const account = fc.stringMatching(/^[a-z0-9]{3,24}$/);
  fc.assert(
    fc.property(account, bucketName, prefix, (acct, container, p) => {
      const short = parseBucketUrl(`azblob://${acct}/${container}/${p}`, BASE);
      const long = parseBucketUrl(`https://${acct}.blob.core.windows.net/${container}/${p}`, BASE);
      assert.deepEqual(short, long);
      assert.deepEqual(short, {
        providers: ["azure"],
        endpoint: `https://${acct}.blob.core.windows.net`,
        bucketName: container,
        prefix: p,
      });
    }),
    { examples: [["aaa", "c", "x\ny"]] },
  );
});

void test("parseBucketUrl round trip: file:// of a percent-encoded directory resolves to that directory", () => {
  const segment = fc
    .string({ unit: "grapheme", minLength: 1, maxLength: 10 })
    .filter((s) => !/[/\0]/.test(s));
  fc.assert(
    fc.property(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 4 }), (absolute, segments) => {
      const dir = (absolute ? "/" : "") + segments.join("/");
      const url = `file://${absolute ? "/" : ""}${segments.map(encodeURIComponent).join("/")}`;
      const parts = parseBucketUrl(url, BASE);
      assert.equal(parts.bucketName, path.resolve(BASE, dir));
      assert.deepEqual(parts.providers, ["file"]);
    }),
  );
});

// --- Go durations

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const unit = fc.constantFrom(...(Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[]));

void test("parseDuration: any sequence of <whole number><unit> parts is the exact sum of its parts", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat({ max: 100_000 }), unit), { minLength: 1, maxLength: 6 }),
      (parts) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join("");
        const expected = parts.reduce((sum, [n, u]) => sum + n * UNIT_MS[u], 0);
        assert.equal(parseDuration(text), expected, text);
      },
    ),
  );
});

void test("parseDuration: decimal parts add up to within a millisecond of the exact sum", () => {
  const part = fc.tuple(fc.nat({ max: 1000 }), fc.stringMatching(/^[0-9]{1,3}$/), unit);
  fc.assert(
    fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
      const text = parts.map(([n, frac, u]) => `${n}.${frac}${u}`).join("");
      const expected = parts.reduce((sum, [n, frac, u]) => sum + Number(`${n}.${frac}`) * UNIT_MS[u], 0);
      const got = parseDuration(text);
      assert.ok(got !== undefined && Math.abs(got - expected) <= 1, `${text}: ${got} vs ${expected}`);
    }),
  );
});

void test("parseDuration: text outside the grammar (a sign, a space, no unit, an unknown unit) is undefined", () => {
  const valid = fc
    .array(fc.tuple(fc.nat({ max: 999 }), unit), { minLength: 1, maxLength: 3 })
    .map((parts) => parts.map(([n, u]) => `${n}${u}`).join(""));
  const breaker = fc.constantFrom("-", "+", " ", "d", "us", "µs", "ns", "x", "\n", ".");
  fc.assert(
    fc.property(valid, breaker, fc.boolean(), (text, bad, atEnd) => {
      const broken = atEnd ? `${text}${bad}` : `${bad}${text}`;
      assert.equal(parseDuration(broken), undefined, JSON.stringify(broken));
    }),
  );
  // A trailing number without its unit.
  fc.assert(
    fc.property(valid, fc.nat(), (text, n) => {
      assert.equal(parseDuration(`${text}${n}`), undefined);
    }),
  );
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (text) => {
      const got = parseDuration(text);
      assert.ok(got === undefined || (Number.isFinite(got) && got >= 0), JSON.stringify(text));
    }),
  );
});

void test("formatDuration then parseDuration gives back every whole number of milliseconds", () => {
  fc.assert(
    fc.property(fc.nat({ max: 10 * 24 * 3_600_000 }), (ms) => {
      assert.equal(parseDuration(formatDuration(ms)), ms, formatDuration(ms));
    }),
  );
});

// --- spec normalization

const FIELDS = [
  "url",
  "provider",
  "bucketName",
  "endpoint",
  "region",
  "prefix",
  "insecure",
  "sts",
  "secretRef",
  "serviceAccountName",
  "certSecretRef",
  "proxySecretRef",
  "interval",
  "timeout",
  "ignore",
  "suspend",
  "limits",
  "accessFrom",
];
// Plausible values for any field, so generated specs get past the schema often enough to reach the later rules.
const fieldValue = fc.oneof(
  fc.anything(),
  fc.constantFrom("generic", "aws", "gcp", "azure", "ldap", "5m", "0s", "1h30m", "1Gi", "minio:9000", ""),
  urlish,
  fc.record({ name: fc.string() }),
  fc.record(
    {
      provider: fc.constantFrom("aws", "ldap", "x"),
      endpoint: fc.string(),
      secretRef: fc.record({ name: fc.string() }),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      maxObjectSize: fc.oneof(fc.string(), fc.integer()),
      maxTotalSize: fc.anything(),
      maxObjects: fc.integer(),
    },
    { requiredKeys: [] },
  ),
);
const specLike = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string()), fieldValue, { maxKeys: 8 });

void test("normalizeSpec: arbitrary junk and arbitrary spec-shaped objects give a BucketSpec or a SpecError, never a crash", () => {
  fc.assert(
    fc.property(fc.oneof(fc.anything(), specLike), (raw) => onlySpecErrors(() => normalizeSpec(raw, BASE))),
    { numRuns: 3000, examples: [[{ url: "file://%E0%A4%A", interval: "5m" }]] },
  );
});

void test("normalizeSpec: an s3:// url and the long form it stands for normalize to the same spec", () => {
  const endpoint = fc.stringMatching(/^[a-z0-9.-]{1,20}:[0-9]{2,5}$/);
  const s3Bucket = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,30}[a-z0-9]$/);
  fc.assert(
    fc.property(s3Bucket, prefix, endpoint, (bucket, p, ep) => {
      const viaUrl = normalizeSpec({ url: `s3://${bucket}/${p}`, endpoint: ep, interval: "5m" }, BASE);
      const longForm = normalizeSpec(
        { provider: "generic", bucketName: bucket, prefix: p, endpoint: ep, interval: "5m" },
        BASE,
      );
      assert.deepEqual(viaUrl, longForm);
      assert.equal(viaUrl.prefix, p.replace(/^\/+/, ""));
    }),
  );
});
