// Flux's ExternalArtifact (source.toolkit.fluxcd.io/v1, RFC-0012) as bucketops writes it: names, labels, owner
// reference to the Bucket, and the status (an artifact exactly like a Bucket's, plus Ready).
import { createHash } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Artifact, Condition } from "../api/status.js";
import { GROUP } from "../api/schema.js";
import type { BucketResource } from "./resources.js";

export const EXTERNAL_ARTIFACT_API = { group: GROUP, version: "v1", plural: "externalartifacts" };
/** Selects the ExternalArtifacts a Bucket owns (its uid: names can be reused, uids cannot). */
export const OWNER_UID_LABEL = "bucketops.io/bucket-uid";
/** "chart" (one chart's archive) or "mirror" (the Bucket's own artifact). */
export const ROLE_LABEL = "bucketops.io/role";
export const CHART_ANNOTATION = "bucketops.io/chart";

export type ExternalArtifactRole = "chart" | "mirror";

export interface ExternalArtifactResource extends KubernetesObject {
  spec?: { sourceRef?: { apiVersion?: string; kind: string; name: string; namespace?: string } };
  status?: { artifact?: Artifact; conditions?: Condition[] };
}

/** What one ExternalArtifact should hold. */
export interface DesiredExternalArtifact {
  name: string;
  role: ExternalArtifactRole;
  /** The chart's name (role chart). */
  chart?: string;
  artifact: Artifact;
  message: string;
}

const MAX_NAME = 253;

/**
 * The ExternalArtifact name of a Bucket's chart: `<bucket>-<chart>`, lowercased, characters a name cannot hold
 * turned into "-", and shortened with a hash suffix when over 253 characters.
 */
export function chartArtifactName(bucket: string, chart: string): string {
  const safe = chart
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  const name = `${bucket}-${safe || "chart"}`;
  if (name.length <= MAX_NAME) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 10);
  return `${name.slice(0, MAX_NAME - 11).replace(/[^a-z0-9]+$/, "")}-${hash}`;
}

/** A new ExternalArtifact (no status: the status subresource ignores it on create) owned by the Bucket. */
export function newExternalArtifact(
  bucket: BucketResource,
  desired: DesiredExternalArtifact,
): ExternalArtifactResource {
  const meta = bucket.metadata ?? {};
  return {
    apiVersion: `${GROUP}/v1`,
    kind: "ExternalArtifact",
    metadata: {
      name: desired.name,
      namespace: meta.namespace,
      labels: {
        "app.kubernetes.io/managed-by": "bucketops",
        [OWNER_UID_LABEL]: meta.uid ?? "",
        [ROLE_LABEL]: desired.role,
      },
      annotations: desired.chart ? { [CHART_ANNOTATION]: desired.chart } : undefined,
      // Kubernetes' garbage collector deletes it with the Bucket; the controller's finalizer deletes it first anyway.
      ownerReferences: [
        {
          apiVersion: `${GROUP}/v1`,
          kind: "Bucket",
          name: meta.name ?? "",
          uid: meta.uid ?? "",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      sourceRef: {
        apiVersion: `${GROUP}/v1`,
        kind: "Bucket",
        name: meta.name ?? "",
        namespace: meta.namespace,
      },
    },
  };
}

/** The status to write, keeping the Ready condition's transition time when it does not change. */
export function externalArtifactStatus(
  current: ExternalArtifactResource | undefined,
  desired: DesiredExternalArtifact,
  now: Date,
): { artifact: Artifact; conditions: Condition[] } {
  const previous = current?.status?.conditions?.find((c) => c.type === "Ready");
  const same = previous?.status === "True" && previous.message === desired.message;
  return {
    artifact: desired.artifact,
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "Succeeded",
        message: desired.message,
        lastTransitionTime: same && previous ? previous.lastTransitionTime : now.toISOString(),
        observedGeneration: current?.metadata?.generation ?? 1,
      },
    ],
  };
}

/** Whether the stored status already says what `desired` does. */
export function isUpToDate(current: ExternalArtifactResource, desired: DesiredExternalArtifact): boolean {
  const a = current.status?.artifact;
  const b = desired.artifact;
  const ready = current.status?.conditions?.find((c) => c.type === "Ready");
  return (
    a !== undefined &&
    a.path === b.path &&
    a.url === b.url &&
    a.revision === b.revision &&
    a.digest === b.digest &&
    a.size === b.size &&
    ready?.status === "True" &&
    ready.message === desired.message
  );
}
