// The generic hook: a POST naming one Bucket, optionally with the keys that changed.
import type { ObjectChange } from "../source/object-change.js";
import { isObject, objectAt, parseJsonBody, stringAt } from "./json-fields.js";
import { HookPayloadError, type HookMessage } from "./message.js";

/**
 * Reads `{"namespace": "…", "name": "…", "keys": ["a.yaml", {"key": "b.yaml", "deleted": true}]}`. Without keys
 * (or with an empty list) the Bucket gets a full reconcile. Throws HookPayloadError for anything else.
 */
export function parseGenericPayload(body: Buffer): HookMessage {
  const json = objectAt(parseJsonBody(body), "body");
  const namespace = stringAt(json.namespace, "namespace");
  const name = stringAt(json.name, "name");
  if (json.keys === undefined) return { type: "bucket", namespace, name };
  if (!Array.isArray(json.keys))
    throw new HookPayloadError("keys must be an array of keys or {key, deleted}");
  const changes = json.keys.map((value: unknown, i): ObjectChange => {
    if (typeof value === "string") return { key: stringAt(value, `keys[${i}]`), deleted: false };
    if (!isObject(value)) throw new HookPayloadError(`keys[${i}] must be a key or {key, deleted}`);
    if (value.deleted !== undefined && typeof value.deleted !== "boolean")
      throw new HookPayloadError(`keys[${i}].deleted must be true or false`);
    return { key: stringAt(value.key, `keys[${i}].key`), deleted: value.deleted === true };
  });
  return changes.length === 0
    ? { type: "bucket", namespace, name }
    : { type: "bucket", namespace, name, changes };
}
