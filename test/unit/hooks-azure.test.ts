// The Azure hook parser over documented Event Grid deliveries: the Event Grid schema, the validation handshake
// and the CloudEvents 1.0 schema.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAzurePayload } from "../../src/hooks/azure-payload.js";
import { HookPayloadError } from "../../src/hooks/message.js";
import { cloudEventBlobCreated, eventGridBlobEvent, eventGridValidation } from "../support/hook-payloads.js";

const parse = (body: unknown): ReturnType<typeof parseAzurePayload> =>
  parseAzurePayload(Buffer.from(typeof body === "string" ? body : JSON.stringify(body)));

test("a batch of BlobCreated and BlobDeleted events yields container, key (from subject), account and sequencer", () => {
  const message = parse([
    eventGridBlobEvent("acct", "cfg", "apps/a b.yaml", "Microsoft.Storage.BlobCreated", "0002"),
    eventGridBlobEvent("acct", "cfg", "old.yaml", "Microsoft.Storage.BlobDeleted", "0003"),
  ]);
  assert.deepEqual(message, {
    type: "events",
    events: [
      { bucket: "cfg", account: "acct", order: "0002", change: { key: "apps/a b.yaml", deleted: false } },
      { bucket: "cfg", account: "acct", order: "0003", change: { key: "old.yaml", deleted: true } },
    ],
    ignored: 0,
  });
});

test("the SubscriptionValidationEvent is answered with {validationResponse: validationCode}", () => {
  assert.deepEqual(parse(eventGridValidation("512d38b6-c7b8-40c8-89fe-f46f9e9622b6")), {
    type: "reply",
    body: { validationResponse: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6" },
  });
});

test("a single CloudEvent and a CloudEvents batch yield the same event as the Event Grid schema", () => {
  const expected = [
    {
      bucket: "cfg",
      account: "acct",
      order: "00000000000004420000000000028963",
      change: { key: "k.yaml", deleted: false },
    },
  ];
  const single = parse(cloudEventBlobCreated("acct", "cfg", "k.yaml"));
  const batch = parse([cloudEventBlobCreated("acct", "cfg", "k.yaml")]);
  assert.deepEqual(single.type === "events" && single.events, expected);
  assert.deepEqual(batch.type === "events" && batch.events, expected);
});

test("BlobRenamed deletes the source key (from data.sourceUrl) and changes the destination", () => {
  const event = eventGridBlobEvent("acct", "cfg", "new/name.yaml", "Microsoft.Storage.BlobRenamed");
  (event.data as Record<string, unknown>).sourceUrl =
    "https://acct.dfs.core.windows.net/cfg/old/na%20me.yaml";
  const message = parse([event]);
  assert.deepEqual(message.type === "events" && message.events.map((e) => e.change), [
    { key: "old/na me.yaml", deleted: true },
    { key: "new/name.yaml", deleted: false },
  ]);
});

test("a subject with U+FFFD (Event Grid's mangled emoji) takes the key from the percent-encoded data.url", () => {
  const event = eventGridBlobEvent("acct", "cfg", "logs/task💎.log");
  event.subject = "/blobServices/default/containers/cfg/blobs/logs/task\uFFFD\uFFFD.log";
  const message = parse([event]);
  assert.deepEqual(message.type === "events" && message.events[0]?.change, {
    key: "logs/task💎.log",
    deleted: false,
  });
});

test("other event types are ignored; a blob event without a blob subject is refused with a reason", () => {
  const tier = eventGridBlobEvent("acct", "cfg", "k", "Microsoft.Storage.BlobTierChanged");
  assert.deepEqual(parse([tier]), { type: "events", events: [], ignored: 1 });
  const bad = eventGridBlobEvent("acct", "cfg", "k");
  bad.subject = "/blobServices/default/containers/cfg";
  assert.throws(
    () => parse([bad]),
    (e: unknown) => e instanceof HookPayloadError && /not a blob subject/.test(e.message),
  );
  assert.throws(
    () => parse([{ subject: "x" }]),
    (e: unknown) => e instanceof HookPayloadError && /eventType/.test(e.message),
  );
  assert.throws(
    () => parse("nope"),
    (e: unknown) => e instanceof HookPayloadError && /not JSON/.test(e.message),
  );
});
