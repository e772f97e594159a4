// Kubernetes Events for Buckets (what `kubectl describe` and Flux's notification-controller read).
import { CoreV1Api, type CoreV1Event, type KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { EngineEvent } from "../engine/reconcile.js";
import type { BucketResource } from "./resources.js";

export type EventRecorder = (obj: BucketResource, event: EngineEvent) => Promise<void>;

/** Creates core/v1 Events; a failure to record is logged, never fatal. */
export function kubeEventRecorder(kc: KubeConfig, identity: string, logger: Logger): EventRecorder {
  const api = kc.makeApiClient(CoreV1Api);
  return async (obj, event) => {
    const namespace = obj.metadata?.namespace ?? "default";
    const now = new Date();
    const body: CoreV1Event = {
      metadata: {
        generateName: `${obj.metadata?.name ?? "bucket"}.`,
        namespace,
        annotations: event.annotations,
      },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: "Bucket",
        name: obj.metadata?.name,
        namespace,
        uid: obj.metadata?.uid,
        resourceVersion: obj.metadata?.resourceVersion,
      },
      reason: event.reason,
      message: event.message.slice(0, 1024),
      type: event.type,
      source: { component: "bucketops" },
      reportingComponent: "bucketops",
      reportingInstance: identity,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await api.createNamespacedEvent({ namespace, body });
    } catch (error) {
      logger.warn(
        { err: error instanceof Error ? error.message : String(error), reason: event.reason },
        "could not record event",
      );
    }
  };
}
