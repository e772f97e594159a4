// Prometheus metrics of reconciles, recorded the same way by both runtimes into a registry they own.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { BucketRef } from "../storage/artifact-store.js";
import type { ReconcileResult } from "./reconcile.js";

export interface ReconcileMetrics {
  /** Records one finished reconcile. */
  observe(ref: BucketRef, result: ReconcileResult): void;
  /** Drops the series of a deleted Bucket. */
  forget(ref: BucketRef): void;
}

const CONDITION_TYPES = ["Ready", "Reconciling", "Stalled", "FetchFailed", "ArtifactInStorage"];
const STATUSES = ["True", "False", "Unknown", "Deleted"] as const;

/** Registers bucketops' metrics (Flux-like names where Flux has them) in `registry`. */
export function createReconcileMetrics(registry: Registry): ReconcileMetrics {
  const labelNames = ["kind", "name", "namespace"] as const;
  const duration = new Histogram({
    name: "gotk_reconcile_duration_seconds",
    help: "Duration of Bucket reconciles",
    labelNames,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const condition = new Gauge({
    name: "gotk_reconcile_condition",
    help: "The current condition status of a Bucket (1 for the status it has)",
    labelNames: [...labelNames, "type", "status"],
    registers: [registry],
  });
  const suspended = new Gauge({
    name: "gotk_suspend_status",
    help: "Whether a Bucket is suspended",
    labelNames,
    registers: [registry],
  });
  const fetched = new Counter({
    name: "bucketops_objects_fetched_total",
    help: "Objects downloaded",
    labelNames,
    registers: [registry],
  });
  const bytes = new Counter({
    name: "bucketops_bytes_fetched_total",
    help: "Bytes downloaded",
    labelNames,
    registers: [registry],
  });
  const hits = new Counter({
    name: "bucketops_cache_hits_total",
    help: "Objects served from the content cache",
    labelNames,
    registers: [registry],
  });
  const requests = new Counter({
    name: "bucketops_provider_requests_total",
    help: "Requests sent to bucket providers",
    labelNames: [...labelNames, "operation"],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: "bucketops_reconciles_total",
    help: "Reconciles by outcome",
    labelNames: [...labelNames, "outcome"],
    registers: [registry],
  });
  const labels = (ref: BucketRef): { kind: string; name: string; namespace: string } => ({
    kind: "Bucket",
    name: ref.name,
    namespace: ref.namespace,
  });

  return {
    observe(ref, result): void {
      const l = labels(ref);
      duration.observe(l, result.stats.durationMs / 1000);
      suspended.set(l, result.outcome === "suspended" ? 1 : 0);
      fetched.inc(l, result.stats.downloaded);
      bytes.inc(l, result.stats.bytesDownloaded);
      hits.inc(l, result.stats.cacheHits);
      requests.inc({ ...l, operation: "list" }, result.stats.listRequests);
      requests.inc({ ...l, operation: "get" }, result.stats.getRequests);
      requests.inc({ ...l, operation: "head" }, result.stats.headRequests);
      outcomes.inc({ ...l, outcome: result.outcome });
      for (const type of CONDITION_TYPES) {
        const current = result.status.conditions.find((c) => c.type === type)?.status ?? "Deleted";
        for (const status of STATUSES) condition.set({ ...l, type, status }, status === current ? 1 : 0);
      }
    },
    forget(ref): void {
      const l = labels(ref);
      for (const metric of [duration, suspended, fetched, bytes, hits]) metric.remove(l);
      for (const type of CONDITION_TYPES)
        for (const status of STATUSES) condition.remove({ ...l, type, status });
      for (const operation of ["list", "get", "head"]) requests.remove({ ...l, operation });
    },
  };
}
