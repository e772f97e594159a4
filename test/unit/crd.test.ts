import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "yaml";
import { bucketCrd, bucketCrdYaml } from "../../src/api/crd.js";

test("the CRD serves v1 (storage) and v1beta2 with the status subresource and Flux's printer columns", () => {
  const crd = parse(bucketCrdYaml()) as {
    spec: {
      versions: {
        name: string;
        served: boolean;
        storage: boolean;
        subresources: unknown;
        additionalPrinterColumns: { name: string }[];
      }[];
    };
  };
  const versions = crd.spec.versions.map((v) => [v.name, v.served, v.storage]);
  assert.deepEqual(versions, [
    ["v1", true, true],
    ["v1beta2", true, false],
  ]);
  for (const v of crd.spec.versions) {
    assert.deepEqual(v.subresources, { status: {} });
    assert.deepEqual(
      v.additionalPrinterColumns.map((c) => c.name),
      ["Endpoint", "URL", "Age", "Ready", "Status"],
    );
  }
});

test("the spec schema is structural and carries the url field and Flux's rules", () => {
  const crd = bucketCrd() as {
    spec: {
      versions: {
        schema: {
          openAPIV3Schema: {
            properties: {
              spec: Record<string, unknown> & { properties: Record<string, Record<string, unknown>> };
            };
          };
        };
      }[];
    };
  };
  const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec;
  assert.ok(spec);
  assert.equal(spec.properties.url?.type, "string");
  assert.equal(spec.properties.interval?.pattern, "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$");
  assert.equal(spec.properties.provider?.default, undefined, "provider must not default: url decides it");
  assert.ok(!JSON.stringify(spec).includes('"additionalProperties":false'));
  const rules = spec["x-kubernetes-validations"] as { rule: string; message: string }[];
  assert.ok(rules.some((r) => r.rule === "!has(self.secretRef) || !has(self.serviceAccountName)"));
});
