// S3 / MinIO event notifications: the S3 event JSON (Records[]), also inside an SNS HTTP(S) envelope.
import {
  isObject,
  objectAt,
  optionalString,
  parseJsonBody,
  stringAt,
  type JsonObject,
} from "./json-fields.js";
import { HookPayloadError, type BucketEvent, type HookMessage } from "./message.js";

/**
 * Reads an S3 event notification: `Records[].eventName`, `s3.bucket.name`, `s3.object.key` (form-encoded: `+` is a
 * space). MinIO's webhook body (EventName, Key, Records) is the same shape. An SNS envelope (`Type: Notification`)
 * is unwrapped; an SNS subscription confirmation and the `s3:TestEvent` are answered without waking anything.
 * Throws HookPayloadError for anything else.
 */
export function parseS3Payload(body: Buffer): HookMessage {
  const json = parseJsonBody(body);
  if (isObject(json) && json.Type === "Notification" && typeof json.Message === "string") {
    return fromEvent(parseJsonBody(Buffer.from(json.Message, "utf8")), "Message");
  }
  if (
    isObject(json) &&
    (json.Type === "SubscriptionConfirmation" || json.Type === "UnsubscribeConfirmation")
  ) {
    const url = optionalString(json.SubscribeURL);
    return {
      type: "reply",
      body: { status: "ok" },
      notice: `SNS ${json.Type} received; to confirm the subscription, open its SubscribeURL${url ? `: ${url}` : ""}`,
    };
  }
  return fromEvent(json, "body");
}

function fromEvent(json: unknown, where: string): HookMessage {
  const event = objectAt(json, where);
  if (event.Event === "s3:TestEvent") return { type: "reply", body: { status: "ok", test: true } };
  if (!Array.isArray(event.Records))
    throw new HookPayloadError(`${where}.Records must be an array of S3 events`);
  const events: BucketEvent[] = [];
  let ignored = 0;
  event.Records.forEach((value: unknown, i) => {
    const found = fromRecord(objectAt(value, `Records[${i}]`), `Records[${i}]`);
    if (found) events.push(found);
    else ignored++;
  });
  return { type: "events", events, ignored };
}

function fromRecord(record: JsonObject, at: string): BucketEvent | undefined {
  const eventName = stringAt(record.eventName, `${at}.eventName`).replace(/^s3:/, "");
  const s3 = objectAt(record.s3, `${at}.s3`);
  const bucket = stringAt(objectAt(s3.bucket, `${at}.s3.bucket`).name, `${at}.s3.bucket.name`);
  const object = objectAt(s3.object, `${at}.s3.object`);
  const key = decodeFormKey(stringAt(object.key, `${at}.s3.object.key`), `${at}.s3.object.key`);
  const deleted = isDeletion(eventName, optionalString(object.versionId));
  if (deleted === undefined) return undefined;
  const order = optionalString(object.sequencer);
  return { bucket, change: { key, deleted }, ...(order ? { order: order.toUpperCase() } : {}) };
}

// Created → changed; removed or expired → deleted. Removing one version of a versioned object (versionId set,
// no delete marker) may leave an older version current, so the reconcile asks the bucket instead. Other events
// (reads, tagging, ACL, restore, replication) change no listed etag.
function isDeletion(eventName: string, versionId: string | undefined): boolean | undefined {
  if (eventName.startsWith("ObjectCreated:")) return false;
  if (eventName.startsWith("ObjectRemoved:") || eventName.startsWith("LifecycleExpiration:")) {
    const versionGone = eventName.endsWith(":Delete") && versionId !== undefined && versionId !== "null";
    return !versionGone;
  }
  return undefined;
}

/** Decodes an S3 event key: URL-encoded the way HTML forms are, so `+` is a space and `%2B` a plus. */
function decodeFormKey(encoded: string, field: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, " "));
  } catch {
    throw new HookPayloadError(`${field} is not URL-encoded`);
  }
}
