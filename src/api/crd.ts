// The Bucket CRD, generated from the zod schemas: one source of truth for types, validation and the API server.
import { stringify } from "yaml";
import { z } from "zod";
import { QUANTITY_PATTERN } from "./quantity.js";
import { API_VERSIONS, BucketSpecInput, GROUP } from "./schema.js";
import { BucketStatusSchema } from "./status.js";

type JsonSchema = Record<string, unknown>;

/** Flux's cross-field rules (plus bucketops' url rules) as CEL, with messages that say what to change. */
const SPEC_RULES = [
  {
    rule: "has(self.bucketName) || has(self.url)",
    message: "set spec.bucketName, or spec.url such as s3://<bucket>/<prefix>",
  },
  {
    rule: "!has(self.sts) || !has(self.provider) || self.provider == 'aws' || self.provider == 'generic'",
    message: "STS configuration is only supported for the 'aws' and 'generic' Bucket providers",
  },
  {
    rule: "!has(self.sts) || !has(self.provider) || self.provider != 'aws' || self.sts.provider == 'aws'",
    message: "'aws' is the only supported STS provider for the 'aws' Bucket provider",
  },
  {
    rule: "!has(self.sts) || !has(self.provider) || self.provider != 'generic' || self.sts.provider == 'ldap'",
    message: "'ldap' is the only supported STS provider for the 'generic' Bucket provider",
  },
  {
    rule: "!has(self.sts) || self.sts.provider != 'aws' || (!has(self.sts.secretRef) && !has(self.sts.certSecretRef))",
    message: "spec.sts.secretRef and spec.sts.certSecretRef are not supported for the 'aws' STS provider",
  },
  {
    rule: "!has(self.serviceAccountName) || has(self.url) || (has(self.provider) && self.provider != 'generic')",
    message: "spec.serviceAccountName is not supported for the 'generic' Bucket provider",
  },
  {
    rule: "!has(self.secretRef) || !has(self.serviceAccountName)",
    message: "set spec.secretRef or spec.serviceAccountName, not both",
  },
];

const URL_PATTERN = "^(s3|gs|azblob|https?|file)://.+$";

/** The generated CRD as YAML: what deploy/crds holds (checked by a test, written by `npm run gen:deploy`). */
export function bucketCrdYaml(): string {
  return `# Generated from src/api (zod) by \`npm run gen:deploy\`; do not edit.\n${stringify(bucketCrd(), { aliasDuplicateObjects: false, lineWidth: 0 })}`;
}

/** Returns the CustomResourceDefinition object for buckets.source.toolkit.fluxcd.io. */
export function bucketCrd(): JsonSchema {
  const spec = toStructural(z.toJSONSchema(BucketSpecInput, { target: "openapi-3.0", io: "input" }));
  const props = spec.properties as Record<string, JsonSchema>;
  props.url = { ...props.url, pattern: URL_PATTERN };
  // No default for provider: with `url` the provider follows the scheme (the engine defaults to generic).
  props.timeout = { ...props.timeout, default: "60s" };
  const limits = props.limits?.properties as Record<string, JsonSchema> | undefined;
  for (const field of ["maxObjectSize", "maxTotalSize"]) {
    // A Kubernetes quantity field: an integer or a string (the pattern applies to strings), as controller-gen writes.
    if (limits?.[field]) {
      limits[field] = {
        description: limits[field].description,
        anyOf: [{ type: "integer" }, { type: "string" }],
        pattern: QUANTITY_PATTERN,
        "x-kubernetes-int-or-string": true,
      };
    }
  }
  spec["x-kubernetes-validations"] = SPEC_RULES;
  const status = toStructural(z.toJSONSchema(BucketStatusSchema, { target: "openapi-3.0", io: "input" }));
  const statusProps = status.properties as Record<string, JsonSchema>;
  statusProps.conditions = {
    ...statusProps.conditions,
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
  };
  delete status.required; // status is written by the controller, piece by piece

  const schema = {
    openAPIV3Schema: {
      type: "object",
      description:
        "Bucket is a source of Kubernetes manifests kept in an object storage bucket (Flux-compatible).",
      properties: {
        apiVersion: { type: "string" },
        kind: { type: "string" },
        metadata: { type: "object" },
        spec: spec,
        status: { ...status, default: { observedGeneration: -1 } },
      },
      required: ["spec"],
    },
  };
  const printerColumns = [
    { jsonPath: ".spec.endpoint", name: "Endpoint", type: "string" },
    { jsonPath: ".spec.url", name: "URL", type: "string", priority: 1 },
    { jsonPath: ".metadata.creationTimestamp", name: "Age", type: "date" },
    { jsonPath: '.status.conditions[?(@.type=="Ready")].status', name: "Ready", type: "string" },
    { jsonPath: '.status.conditions[?(@.type=="Ready")].message', name: "Status", type: "string" },
  ];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `buckets.${GROUP}`, labels: { "app.kubernetes.io/part-of": "bucketops" } },
    spec: {
      group: GROUP,
      names: {
        kind: "Bucket",
        listKind: "BucketList",
        plural: "buckets",
        singular: "bucket",
        categories: ["fluxcd", "fluxcd-sources"],
      },
      scope: "Namespaced",
      versions: API_VERSIONS.map((apiVersion) => {
        const name = apiVersion.split("/")[1] ?? "";
        return {
          name,
          served: true,
          storage: name === "v1",
          ...(name === "v1beta2"
            ? {
                deprecated: true,
                deprecationWarning: `${GROUP}/v1beta2 Bucket is deprecated, use ${GROUP}/v1`,
              }
            : {}),
          schema,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns,
        };
      }),
    },
  };
}

/** Makes a zod-generated schema structural: no additionalProperties:false, unknown → preserved object. */
function toStructural(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "additionalProperties" && value === false) continue;
    if (key === "$schema") continue;
    if ((key === "minimum" || key === "maximum") && Math.abs(Number(value)) >= Number.MAX_SAFE_INTEGER)
      continue;
    if (key === "properties" && typeof value === "object" && value !== null) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, toStructural(v as JsonSchema)]),
      );
    } else if (key === "items" && typeof value === "object" && value !== null) {
      out.items = toStructural(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  if (
    Object.keys(out).length === 0 ||
    (out.type === undefined && out.description !== undefined && Object.keys(out).length === 1)
  ) {
    return { ...out, type: "object", "x-kubernetes-preserve-unknown-fields": true };
  }
  if (out.type === "integer") out.format = "int64";
  return out;
}
