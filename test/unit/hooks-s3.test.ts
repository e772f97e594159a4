// The S3 / MinIO hook parser over documented payload shapes (S3 event JSON, MinIO's webhook body, SNS).
import assert from "node:assert/strict";
import { test } from "node:test";
import { HookPayloadError } from "../../src/hooks/message.js";
import { parseS3Payload } from "../../src/hooks/s3-payload.js";
import { minioWebhookBody, s3Notification, s3Record, snsNotification } from "../support/hook-payloads.js";

const parse = (body: string): ReturnType<typeof parseS3Payload> => parseS3Payload(Buffer.from(body));

test("an S3 ObjectCreated record yields its bucket and form-decoded key ('+' is a space, %2B a plus)", () => {
  const message = parse(
    s3Notification(s3Record("cfg", "dir/a b+c ü.yaml", "ObjectCreated:Put", { sequencer: "0a" })),
  );
  assert.deepEqual(message, {
    type: "events",
    events: [{ bucket: "cfg", change: { key: "dir/a b+c ü.yaml", deleted: false }, order: "0A" }],
    ignored: 0,
  });
});

test("MinIO's webhook body (EventName, Key, Records with s3:-prefixed names) yields the same events", () => {
  const created = parse(minioWebhookBody("cfg", "apps/x y.yaml"));
  const removed = parse(minioWebhookBody("cfg", "apps/x y.yaml", "s3:ObjectRemoved:Delete"));
  assert.equal(created.type === "events" && created.events[0]?.change.key, "apps/x y.yaml");
  assert.equal(created.type === "events" && created.events[0]?.change.deleted, false);
  assert.equal(removed.type === "events" && removed.events[0]?.change.deleted, true);
});

test("removals and expirations delete; a versioned delete of one version asks the bucket; reads are ignored", () => {
  const message = parse(
    s3Notification(
      s3Record("b", "gone", "ObjectRemoved:DeleteMarkerCreated"),
      s3Record("b", "expired", "LifecycleExpiration:Delete"),
      s3Record("b", "one-version", "ObjectRemoved:Delete", { versionId: "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd" }),
      s3Record("b", "read", "s3:ObjectAccessed:Get"),
      s3Record("b", "tagged", "ObjectTagging:Put"),
    ),
  );
  assert.equal(message.type, "events");
  if (message.type !== "events") return;
  assert.deepEqual(
    message.events.map((e) => [e.change.key, e.change.deleted]),
    [
      ["gone", true],
      ["expired", true],
      ["one-version", false],
    ],
  );
  assert.equal(message.ignored, 2);
});

test("an SNS Notification envelope is unwrapped; its SubscriptionConfirmation is answered with the SubscribeURL noted", () => {
  const wrapped = parse(snsNotification(s3Notification(s3Record("b", "k.yaml"))));
  assert.equal(wrapped.type === "events" && wrapped.events[0]?.change.key, "k.yaml");
  const url =
    "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=abc";
  const confirm = parse(
    JSON.stringify({ Type: "SubscriptionConfirmation", Token: "abc", SubscribeURL: url }),
  );
  assert.equal(confirm.type, "reply");
  assert.ok(confirm.type === "reply" && confirm.notice?.includes(url));
});

test("the s3:TestEvent is answered and wakes nothing", () => {
  const message = parse(
    JSON.stringify({
      Service: "Amazon S3",
      Event: "s3:TestEvent",
      Time: "2026-12-01T10:00:00.000Z",
      Bucket: "b",
    }),
  );
  assert.deepEqual(message, { type: "reply", body: { status: "ok", test: true } });
});

test("malformed S3 payloads are refused with a reason naming the field", () => {
  const reason = (body: string): string => {
    try {
      parse(body);
    } catch (error) {
      assert.ok(error instanceof HookPayloadError);
      return error.message;
    }
    assert.fail("expected a HookPayloadError");
  };
  assert.match(reason("{not json"), /not JSON/);
  assert.match(reason("{}"), /Records must be an array/);
  const noKey = s3Record("b", "k");
  (noKey.s3 as { object: Record<string, unknown> }).object = {};
  assert.match(reason(s3Notification(noKey)), /Records\[0\]\.s3\.object\.key/);
  const badKey = s3Record("b", "k");
  (badKey.s3 as { object: Record<string, unknown> }).object = { key: "%E0%A4%A" };
  assert.match(reason(s3Notification(badKey)), /not URL-encoded/);
});
