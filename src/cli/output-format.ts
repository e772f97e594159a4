// The -o flag's values, apart from output.ts so that registering a command does not load the YAML library.
import { CliError, ExitCode } from "./exit-codes.js";

export type OutputFormat = "table" | "json" | "yaml";

/** Validates an -o value. */
export function parseFormat(value: string): OutputFormat {
  if (value === "table" || value === "json" || value === "yaml") return value;
  throw new CliError(`-o ${value}: unknown output format; use table, json or yaml`, ExitCode.Usage);
}
