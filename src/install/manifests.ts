// Install manifests (namespace, CRD, RBAC, Deployment, Service) from one place: `bucketops install --export`
// prints them and `npm run gen:deploy` writes deploy/ from them (a test fails when deploy/ is stale).
import { stringify } from "yaml";
import { bucketCrd } from "../api/crd.js";
import { GROUP } from "../api/schema.js";
import { DEFAULT_INSTALL, type InstallOptions } from "./defaults.js";

export { DEFAULT_INSTALL, type InstallOptions } from "./defaults.js";

const NAME = "bucketops";
const labels = { "app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": NAME };

/** Every object to apply, in apply order. */
export function installObjects(options: InstallOptions = DEFAULT_INSTALL): Record<string, unknown>[] {
  const { namespace } = options;
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } },
    bucketCrd(),
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: NAME, namespace, labels } },
    clusterRole(),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: NAME, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NAME },
      subjects: [{ kind: "ServiceAccount", name: NAME, namespace }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: `${NAME}-leader-election`, namespace, labels },
      rules: [
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${NAME}-leader-election`, namespace, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${NAME}-leader-election` },
      subjects: [{ kind: "ServiceAccount", name: NAME, namespace }],
    },
    deployment(options),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: NAME, namespace, labels },
      spec: {
        type: "ClusterIP",
        selector: { "app.kubernetes.io/name": NAME },
        ports: [{ name: "http", port: 80, targetPort: "http" }],
      },
    },
  ];
}

/**
 * Node's memory settings in the controller's Deployment. Without a heap limit V8 lets the old generation grow
 * with garbage (controller RSS 211–235 MiB on dataset A, growing); with it 158–170 MiB over 20 reconciles.
 * Packed indexes are ArrayBuffers, outside this limit. One malloc arena less per thread (zlib runs on the libuv
 * pool) saves a little more. Measured with `npm run bench -- --datasets= --controller-rss A,B` (README Performance).
 */
export const CONTROLLER_MEMORY_ENV: Readonly<Record<string, string>> = {
  NODE_OPTIONS: "--max-semi-space-size=2 --max-old-space-size=256",
  MALLOC_ARENA_MAX: "2",
};

/** The controller's memory limit: its measured peak on datasets A and B (171 and 228–258 MiB) with ~1.5× headroom. */
export const CONTROLLER_MEMORY_LIMIT = "384Mi";

/** The least privilege the controller needs: Buckets and their status, Secrets (get only), Events. */
export function clusterRole(): Record<string, unknown> {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: NAME, labels },
    rules: [
      { apiGroups: [GROUP], resources: ["buckets"], verbs: ["get", "list", "watch", "patch"] },
      { apiGroups: [GROUP], resources: ["buckets/status"], verbs: ["get", "patch"] },
      { apiGroups: [GROUP], resources: ["buckets/finalizers"], verbs: ["update"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
      { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
    ],
  };
}

function deployment(options: InstallOptions): Record<string, unknown> {
  const args = [
    "controller",
    "--storage-path=/data",
    "--storage-addr=:9090",
    `--storage-adv-addr=${NAME}.$(RUNTIME_NAMESPACE).svc.cluster.local.`,
    "--leader-election-namespace=$(RUNTIME_NAMESPACE)",
    "--log-level=info",
    ...(options.watchLabelSelector ? [`--watch-label-selector=${options.watchLabelSelector}`] : []),
    ...(options.hookSecrets ?? []).map((ref) => `--hook-secret=${ref}`),
  ];
  const probe = (path: string): Record<string, unknown> => ({
    httpGet: { path, port: "http" },
    periodSeconds: 10,
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: NAME, namespace: options.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": NAME } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: NAME,
          terminationGracePeriodSeconds: 10,
          securityContext: { runAsNonRoot: true, fsGroup: 1337, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "manager",
              image: options.image,
              args,
              env: [
                { name: "RUNTIME_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                ...Object.entries(CONTROLLER_MEMORY_ENV).map(([name, value]) => ({ name, value })),
              ],
              ports: [{ name: "http", containerPort: 9090, protocol: "TCP" }],
              livenessProbe: probe("/healthz"),
              readinessProbe: probe("/readyz"),
              resources: {
                requests: { cpu: "50m", memory: "64Mi" },
                limits: { cpu: "1000m", memory: CONTROLLER_MEMORY_LIMIT },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsUser: 1337,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: "data", mountPath: "/data" },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "data", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
    },
  };
}

/** The objects as one multi-document YAML stream. */
export function installYaml(options: InstallOptions = DEFAULT_INSTALL): string {
  return installObjects(options)
    .map((o) => stringify(o, { aliasDuplicateObjects: false, lineWidth: 0 }))
    .join("---\n");
}
