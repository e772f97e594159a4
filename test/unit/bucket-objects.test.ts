// Bucket objects as the flux-style verbs print them: a standalone view as a Kubernetes object (the API's suspend
// overlaid) and export's clean form.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exportObject, viewToObject } from "../../src/cli/commands/source-bucket/objects.js";
import { shortRevision } from "../../src/cli/commands/source-bucket/render.js";
import type { BucketView } from "../../src/standalone/runner.js";

const view = (suspended: boolean, spec: Record<string, unknown>): BucketView => ({
  namespace: "flux-system",
  name: "site",
  file: "/c/site.yaml",
  spec,
  suspended,
  generation: 3,
  status: { observedGeneration: 3, conditions: [] },
  reconciling: false,
});

test("viewToObject: the YAML spec with suspend as the server says (set when suspended, removed when resumed)", () => {
  const suspended = viewToObject(view(true, { interval: "1m", url: "file://x" }));
  assert.deepEqual(suspended, {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "Bucket",
    metadata: { name: "site", namespace: "flux-system", generation: 3 },
    spec: { interval: "1m", url: "file://x", suspend: true },
    status: { observedGeneration: 3, conditions: [] },
  });
  assert.deepEqual(viewToObject(view(false, { interval: "1m", suspend: true })).spec, { interval: "1m" });
});

test("exportObject drops status, server-set metadata, kubectl's last-applied and the reconcile request, and keeps labels and other annotations", () => {
  const out = exportObject({
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "Bucket",
    metadata: {
      name: "a",
      namespace: "ns",
      uid: "u",
      resourceVersion: "9",
      generation: 2,
      creationTimestamp: "2026-01-01T00:00:00Z",
      managedFields: [],
      finalizers: ["finalizers.fluxcd.io"],
      labels: { team: "x" },
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        "reconcile.fluxcd.io/requestedAt": "now",
        note: "keep",
      },
    },
    spec: { interval: "1m" },
    status: { observedGeneration: 2, conditions: [] },
  });
  assert.deepEqual(out, {
    apiVersion: "source.toolkit.fluxcd.io/v1",
    kind: "Bucket",
    metadata: { name: "a", namespace: "ns", labels: { team: "x" }, annotations: { note: "keep" } },
    spec: { interval: "1m" },
  });
});

test("shortRevision keeps the algorithm and 12 hex digits", () => {
  assert.equal(shortRevision(`sha256:${"ab".repeat(32)}`), "sha256:abababababab");
});
