// The generic hook parser: {namespace, name, keys?}.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseGenericPayload } from "../../src/hooks/generic-payload.js";
import { HookPayloadError } from "../../src/hooks/message.js";

const parse = (body: unknown): ReturnType<typeof parseGenericPayload> =>
  parseGenericPayload(Buffer.from(JSON.stringify(body)));

test("a generic POST names its Bucket; keys (strings or {key, deleted}) become changes, none or [] a full reconcile", () => {
  assert.deepEqual(parse({ namespace: "ns", name: "b" }), { type: "bucket", namespace: "ns", name: "b" });
  assert.deepEqual(parse({ namespace: "ns", name: "b", keys: [] }), {
    type: "bucket",
    namespace: "ns",
    name: "b",
  });
  assert.deepEqual(
    parse({ namespace: "ns", name: "b", keys: ["a.yaml", { key: "b.yaml", deleted: true }] }),
    {
      type: "bucket",
      namespace: "ns",
      name: "b",
      changes: [
        { key: "a.yaml", deleted: false },
        { key: "b.yaml", deleted: true },
      ],
    },
  );
});

test("a generic POST without namespace or name, or with malformed keys, is refused with a reason", () => {
  const reason = (body: unknown): string => {
    try {
      parse(body);
    } catch (error) {
      assert.ok(error instanceof HookPayloadError);
      return error.message;
    }
    assert.fail("expected a HookPayloadError");
  };
  assert.match(reason({ name: "b" }), /namespace must be a non-empty string/);
  assert.match(reason({ namespace: "ns" }), /name must be/);
  assert.match(reason({ namespace: "ns", name: "b", keys: "a" }), /keys must be an array/);
  assert.match(reason({ namespace: "ns", name: "b", keys: [""] }), /keys\[0\]/);
  assert.match(
    reason({ namespace: "ns", name: "b", keys: [{ key: "a", deleted: "yes" }] }),
    /keys\[0\]\.deleted/,
  );
});
