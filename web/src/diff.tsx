// A unified diff, line by line: added and removed lines coloured and marked (+/-), not only by colour.
import type { FileDiff } from "./types.js";

export function DiffFiles({ files }: { files: readonly FileDiff[] }): preact.JSX.Element {
  if (files.length === 0) return <p class="muted">No file differs.</p>;
  return (
    <div class="diff">
      {files.map((f) => (
        <section class="diff-file" key={f.key} aria-label={`${f.change} ${f.key}`}>
          <h4>
            <span class={`change change-${f.change}`}>{f.change}</span> <code>{f.key}</code>
          </h4>
          {f.content === "text" && f.patch ? (
            <pre class="patch">
              {hunks(f.patch).map((line, i) => (
                <span key={i} class={lineClass(line)}>
                  {line}
                  {"\n"}
                </span>
              ))}
            </pre>
          ) : (
            <p class="muted">
              {f.content === "large"
                ? "Larger than 1 MiB: not shown."
                : "Binary or not kept as text: not shown."}
            </p>
          )}
        </section>
      ))}
    </div>
  );
}

// The patch without jsdiff's file header (Index:/===/---/+++), which the heading already names.
function hunks(patch: string): string[] {
  const lines = patch.replace(/\n$/, "").split("\n");
  const start = lines.findIndex((l) => l.startsWith("@@"));
  return start < 0 ? [] : lines.slice(start);
}

function lineClass(line: string): string {
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  return "ctx";
}
