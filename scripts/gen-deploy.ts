// Writes the generated parts of deploy/ (CRD, namespace, RBAC, Deployment, Service, the Helm chart's CRD) from
// src/install. Run by `npm run gen:deploy`; test/unit/deploy.test.ts fails when deploy/ is stale.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generatedDeployFiles } from "../src/install/deploy-files.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
for (const [file, content] of Object.entries(generatedDeployFiles())) {
  const target = path.join(root, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  process.stdout.write(`wrote ${file}\n`);
}
