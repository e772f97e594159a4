// A short revision with a button that copies the full one.
import { useState } from "preact/hooks";
import { shortRevision } from "./format.js";

export function Revision({ revision }: { revision: string | undefined }): preact.JSX.Element {
  const [copied, setCopied] = useState(false);
  if (!revision) return <span class="muted">—</span>;
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(revision);
    } catch {
      // no clipboard (plain http on another host): select-and-copy from the title still works
    }
    setCopied(true);
    setTimeout(() => {
      setCopied(false);
    }, 1500);
  };
  return (
    <span class="revision">
      <code title={revision}>{shortRevision(revision)}</code>
      <button
        type="button"
        class="small"
        onClick={() => void copy()}
        aria-label={`Copy revision ${revision}`}
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </span>
  );
}
