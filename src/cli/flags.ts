// Shared flag parsers: each says what is allowed when a value is wrong.
import { InvalidArgumentError } from "commander";
import { parseDuration } from "../api/duration.js";

/** A positive integer flag value. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number of 1 or more");
  return n;
}

/** A Go duration flag value, in milliseconds. */
export function durationFlag(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError("must be a duration such as 60s, 5m or 1h30m");
  return ms;
}
