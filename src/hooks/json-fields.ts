// Small readers for untrusted JSON: each names the field it wanted when the payload lacks it.
import { HookPayloadError } from "./message.js";

export type JsonObject = Readonly<Record<string, unknown>>;

/** Whether `value` is a JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` as an object; throws HookPayloadError naming `field` otherwise. */
export function objectAt(value: unknown, field: string): JsonObject {
  if (!isObject(value)) throw new HookPayloadError(`${field} must be an object`);
  return value;
}

/** `value` as a non-empty string; throws HookPayloadError naming `field` otherwise. */
export function stringAt(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "")
    throw new HookPayloadError(`${field} must be a non-empty string`);
  return value;
}

/** `value` when it is a non-empty string, else undefined. */
export function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Parses a request body as JSON; throws HookPayloadError when it is not. */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    throw new HookPayloadError(
      body.length === 0 ? "the body is empty; expected JSON" : "the body is not JSON",
    );
  }
}
