// The GCS hook parser over the documented Pub/Sub push shape carrying Cloud Storage notifications.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseGcsPayload } from "../../src/hooks/gcs-payload.js";
import { HookPayloadError } from "../../src/hooks/message.js";
import { pubsubPush } from "../support/hook-payloads.js";

const parse = (body: string): ReturnType<typeof parseGcsPayload> => parseGcsPayload(Buffer.from(body));
const only = (body: string): { bucket: string; key: string; deleted: boolean; order?: string } => {
  const message = parse(body);
  assert.equal(message.type, "events");
  const event = message.type === "events" ? message.events[0] : undefined;
  assert.ok(event);
  return { bucket: event.bucket, key: event.change.key, deleted: event.change.deleted, order: event.order };
};

test("OBJECT_FINALIZE yields bucketId/objectId as given (not URL-encoded) and objectGeneration as the order", () => {
  assert.deepEqual(only(pubsubPush("cfg", "apps/a b+c.yaml", "OBJECT_FINALIZE", { generation: "17" })), {
    bucket: "cfg",
    key: "apps/a b+c.yaml",
    deleted: false,
    order: "17",
  });
  assert.equal(only(pubsubPush("cfg", "a", "OBJECT_METADATA_UPDATE")).deleted, false);
});

test("OBJECT_DELETE and OBJECT_ARCHIVE delete, unless overwrittenByGeneration says a new generation replaced it", () => {
  assert.equal(only(pubsubPush("cfg", "a", "OBJECT_DELETE")).deleted, true);
  assert.equal(only(pubsubPush("cfg", "a", "OBJECT_ARCHIVE")).deleted, true);
  const replaced = { attributes: { overwrittenByGeneration: "18" } };
  assert.equal(only(pubsubPush("cfg", "a", "OBJECT_DELETE", replaced)).deleted, false);
  assert.equal(only(pubsubPush("cfg", "a", "OBJECT_ARCHIVE", replaced)).deleted, false);
});

test("without bucketId/objectId attributes the base64 JSON_API_V1 object resource in message.data names the object", () => {
  assert.deepEqual(
    only(pubsubPush("cfg", "from-data.yaml", "OBJECT_FINALIZE", { omitIds: true, generation: "5" })),
    {
      bucket: "cfg",
      key: "from-data.yaml",
      deleted: false,
      order: "5",
    },
  );
});

test("an unknown eventType is ignored; a push that is no storage notification is refused with a reason", () => {
  assert.deepEqual(parse(pubsubPush("cfg", "a", "OBJECT_SOMETHING_NEW")), {
    type: "events",
    events: [],
    ignored: 1,
  });
  const reason = (body: string): string => {
    try {
      parse(body);
    } catch (error) {
      assert.ok(error instanceof HookPayloadError);
      return error.message;
    }
    assert.fail("expected a HookPayloadError");
  };
  assert.match(reason("[]"), /body must be an object/);
  assert.match(reason(JSON.stringify({ subscription: "s" })), /message must be an object/);
  assert.match(reason(JSON.stringify({ message: { data: "e30=" } })), /eventType/);
  const badData = { message: { attributes: { eventType: "OBJECT_FINALIZE" }, data: "bm90IGpzb24=" } };
  assert.match(reason(JSON.stringify(badData)), /message\.data must be a base64 JSON/);
});
