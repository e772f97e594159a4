// Writes deploy/crds/ from the zod schemas. Run by `npm run gen:crds`; test/unit/crd.test.ts fails when stale.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bucketCrdYaml } from "../src/api/crd.js";

const target = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../deploy/crds/source.toolkit.fluxcd.io_buckets.yaml",
);
await writeFile(target, bucketCrdYaml());
process.stdout.write(`wrote ${target}\n`);
