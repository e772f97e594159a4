// GCS Pub/Sub push: {message: {attributes: {bucketId, objectId, eventType, …}, data: base64 object JSON}}.
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
 * Reads a Pub/Sub push request carrying a Cloud Storage notification. The bucket and object come from the
 * attributes `bucketId`/`objectId` (or, when absent, from the JSON_API_V1 object resource in `message.data`).
 * OBJECT_FINALIZE and OBJECT_METADATA_UPDATE change an object; OBJECT_DELETE and OBJECT_ARCHIVE remove it from
 * the listing, unless `overwrittenByGeneration` says a new generation replaced it. Throws HookPayloadError when
 * the request is not such a push.
 */
export function parseGcsPayload(body: Buffer): HookMessage {
  const push = objectAt(parseJsonBody(body), "body");
  const message = objectAt(push.message, "message");
  const attributes = isObject(message.attributes) ? message.attributes : {};
  const eventType = stringAt(attributes.eventType, "message.attributes.eventType");
  const deleted = isDeletion(eventType, attributes);
  if (deleted === undefined) return { type: "events", events: [], ignored: 1 };
  const resource =
    optionalString(attributes.bucketId) && optionalString(attributes.objectId) ? {} : decodeData(message);
  const bucket = stringAt(attributes.bucketId ?? resource.bucket, "message.attributes.bucketId");
  const key = stringAt(attributes.objectId ?? resource.name, "message.attributes.objectId");
  const order = optionalString(attributes.objectGeneration) ?? optionalString(resource.generation);
  const event: BucketEvent = { bucket, change: { key, deleted }, ...(order ? { order } : {}) };
  return { type: "events", events: [event], ignored: 0 };
}

function isDeletion(eventType: string, attributes: JsonObject): boolean | undefined {
  switch (eventType) {
    case "OBJECT_FINALIZE":
    case "OBJECT_METADATA_UPDATE":
      return false;
    case "OBJECT_DELETE":
    case "OBJECT_ARCHIVE":
      return optionalString(attributes.overwrittenByGeneration) === undefined;
    default:
      return undefined;
  }
}

function decodeData(message: JsonObject): JsonObject {
  const data = optionalString(message.data);
  if (data === undefined) return {};
  let resource: unknown;
  try {
    resource = JSON.parse(Buffer.from(data, "base64").toString("utf8"));
  } catch {
    resource = undefined;
  }
  if (!isObject(resource)) throw new HookPayloadError("message.data must be a base64 JSON object resource");
  return resource;
}
