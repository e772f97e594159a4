// The text form of a diff of two states: a header, one line a file, the unified diffs, the counts.
import type { DiffJson, StateSummaryJson } from "../engine/time-travel.js";

const COLOURS = { bold: "\x1b[1m", red: "\x1b[31m", green: "\x1b[32m", cyan: "\x1b[36m", reset: "\x1b[0m" };

/** The diff as text; `colour` adds ANSI colours (the caller decides: a TTY and no NO_COLOR). */
export function renderDiff(diff: DiffJson, colour: boolean): string {
  const paint = (code: keyof typeof COLOURS, text: string): string =>
    colour ? `${COLOURS[code]}${text}${COLOURS.reset}` : text;
  const lines = [paint("bold", `diff ${side(diff.from)} → ${side(diff.to)}`)];
  const letter = { added: "A", removed: "D", changed: "M" } as const;
  if (diff.files) {
    for (const f of diff.files) lines.push(`${letter[f.change]} ${f.key}${counts(f.additions, f.deletions)}`);
    for (const f of diff.files) {
      if (f.patch) lines.push(...patchLines(f.patch, paint));
      else
        lines.push(
          paint(
            "bold",
            `${f.content === "binary" ? "Binary" : "Large"} file ${f.key} ${f.change} (not shown)`,
          ),
        );
    }
  }
  lines.push(countsLine(diff));
  return `${lines.join("\n")}\n`;
}

/** "3 files changed: 1 added, 1 removed, 1 changed (12 → 12 objects)". */
export function countsLine(diff: DiffJson): string {
  const { added, removed, changed } = diff.stat;
  const total = added + removed + changed;
  return (
    `${total} file${total === 1 ? "" : "s"} differ: ${added} added, ${removed} removed, ${changed} changed` +
    ` (${diff.from.objects} → ${diff.to.objects} objects)`
  );
}

function side(s: StateSummaryJson): string {
  return `${s.revision.slice(0, 19)} (${s.at ?? "latest"})`;
}

function counts(additions: number | undefined, deletions: number | undefined): string {
  return additions === undefined ? "" : ` (+${additions} -${deletions ?? 0})`;
}

/** A unified diff's lines; with colour, the header bold, hunk headers cyan, additions green, removals red. */
function patchLines(patch: string, paint: (code: keyof typeof COLOURS, text: string) => string): string[] {
  let inHunk = false;
  const out: string[] = [];
  for (const line of patch.replace(/\n$/, "").split("\n")) {
    if (line.startsWith("@@")) {
      inHunk = true;
      out.push(paint("cyan", line));
    } else if (!inHunk) out.push(paint("bold", line));
    else if (line.startsWith("+")) out.push(paint("green", line));
    else if (line.startsWith("-")) out.push(paint("red", line));
    else out.push(line);
  }
  return out;
}
