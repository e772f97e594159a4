// The API's shapes the dashboard reads (src/standalone/runner.ts BucketView, routes/revisions.ts).

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface Artifact {
  path: string;
  url: string;
  revision: string;
  digest: string;
  lastUpdateTime: string;
  size: number;
}

export interface BucketView {
  namespace: string;
  name: string;
  file: string;
  spec: Record<string, unknown>;
  suspended: boolean;
  generation: number;
  status: { conditions: Condition[]; artifact?: Artifact; url?: string };
  lastReconcile?: { at: string; outcome: string; stats: { objects: number; durationMs: number } };
  nextReconcileAt?: string;
  reconciling: boolean;
}

export interface FolderProblem {
  file: string;
  message: string;
}

export interface BucketList {
  items: BucketView[];
  problems: FolderProblem[];
}

export interface RevisionEntry {
  revision: string;
  at: string;
  size: number;
  files: number;
  /** null: the artifact was too large to keep its file list. */
  added: number | null;
  changed: number | null;
  removed: number | null;
}

export interface FileDiff {
  key: string;
  change: "added" | "removed" | "changed";
  content: "text" | "binary" | "large";
  patch?: string;
}

export interface EventItem {
  type?: string;
  reason: string;
  message: string;
  at?: string;
  time?: string;
  lastTimestamp?: string;
}

/** A change point of a versioned bucket's history (GET …/history). */
export interface ChangePoint {
  time: string;
  revision: string;
  objects: number;
  added: number;
  changed: number;
  removed: number;
}
