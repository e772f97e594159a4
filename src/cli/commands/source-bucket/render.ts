// How `get sources bucket` and `events` print for humans: flux's columns.
import { age, table } from "../../output.js";
import type { BucketEvent } from "./backend.js";
import { readyCondition, type BucketObjectJson } from "./objects.js";

/**
 * Flux's columns: NAMESPACE (with -A), NAME, REVISION, SUSPENDED, READY, MESSAGE; wide adds ENDPOINT, BUCKET,
 * PREFIX, INTERVAL, URL (the artifact's) and AGE (of the artifact) and prints the full revision.
 */
export function bucketTable(
  items: BucketObjectJson[],
  options: { allNamespaces: boolean; wide: boolean },
): string {
  const headers = [
    ...(options.allNamespaces ? ["NAMESPACE"] : []),
    "NAME",
    "REVISION",
    "SUSPENDED",
    "READY",
    ...(options.wide ? ["ENDPOINT", "BUCKET", "PREFIX", "INTERVAL", "URL", "AGE"] : []),
    "MESSAGE",
  ];
  const rows = items.map((o) => {
    const ready = readyCondition(o);
    const revision = o.status?.artifact?.revision;
    const spec = o.spec;
    return [
      ...(options.allNamespaces ? [o.metadata.namespace] : []),
      o.metadata.name,
      revision === undefined ? "" : options.wide ? revision : shortRevision(revision),
      spec.suspend === true ? "True" : "False",
      ready?.status ?? "Unknown",
      ...(options.wide
        ? [
            text(spec.endpoint),
            text(spec.bucketName ?? spec.url),
            text(spec.prefix),
            text(spec.interval),
            o.status?.artifact?.url ?? "",
            age(o.status?.artifact?.lastUpdateTime),
          ]
        : []),
      oneLine(ready?.message ?? ""),
    ];
  });
  return table(headers, rows);
}

/** `flux events`' columns: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE (NAMESPACE first with -A). */
export function eventTable(events: BucketEvent[], options: { allNamespaces: boolean }): string {
  const headers = [
    ...(options.allNamespaces ? ["NAMESPACE"] : []),
    "LAST SEEN",
    "TYPE",
    "REASON",
    "OBJECT",
    "MESSAGE",
  ];
  const rows = events.map((e) => [
    ...(options.allNamespaces ? [e.namespace] : []),
    e.count > 1 ? `${age(e.lastTimestamp)} (x${e.count})` : age(e.lastTimestamp),
    e.type,
    e.reason,
    `Bucket/${e.name}`,
    oneLine(e.message),
  ]);
  return table(headers, rows);
}

/** "sha256:" and the first 12 hex digits. */
export function shortRevision(revision: string): string {
  const [algo, hex] = revision.split(":");
  return hex === undefined ? revision.slice(0, 19) : `${algo}:${hex.slice(0, 12)}`;
}

function text(value: unknown): string {
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ");
}
