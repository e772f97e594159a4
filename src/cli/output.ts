// Printing for humans (tables) and scripts (-o json|yaml).
import { stringify } from "yaml";

export { parseFormat, type OutputFormat } from "./output-format.js";

/** Renders rows as a left-aligned table with a header, like kubectl. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("   ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** Serializes data as JSON or YAML. */
export function serialize(data: unknown, format: "json" | "yaml"): string {
  return format === "json" ? JSON.stringify(data, null, 2) + "\n" : stringify(data);
}

/** "3m", "2h", "5d": a kubectl-style age. */
export function age(from: string | undefined, now: Date = new Date()): string {
  if (from === undefined) return "-";
  const s = Math.max(0, Math.floor((now.getTime() - Date.parse(from)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
