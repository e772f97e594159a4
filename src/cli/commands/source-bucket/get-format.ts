// The -o values of `get sources bucket`, apart from render.ts so that registering does not load the YAML library.
import { InvalidArgumentError } from "commander";

export type GetFormat = "table" | "wide" | "json" | "yaml";

/** Parses -o for `get sources bucket`. Throws (commander prints it, exit 2) on anything else. */
export function parseGetFormat(value: string): GetFormat {
  if (value === "table" || value === "wide" || value === "json" || value === "yaml") return value;
  throw new InvalidArgumentError("use table, wide, json or yaml");
}
