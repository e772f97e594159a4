// The secret grep: distinctive Secret values (well-formed and malformed Secret documents) in the config folder of a
// `bucketops run` at debug level against a real MinIO, and in `bucketops fetch` files; every output surface is
// searched for each value (and its base64 form) and must hold none.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { gunzipSync } from "node:zlib";
import type { BucketView } from "../../src/standalone/runner.js";
import { runArgs, runCli, startServerProcess } from "../support/cli.js";
import { startMinio, type MinioServer } from "../support/minio.js";
import { makeTempDir, removeDir } from "../support/temp.js";
import { waitFor } from "../support/wait.js";

/** A 24-character token that occurs nowhere by chance. */
const token = (): string => `T${randomBytes(12).toString("hex").slice(0, 23)}`;

const ROOT_USER = token();
const ROOT_PASSWORD = token();
const WRONG_KEY = token();
const WRONG_SECRET = token();
const WRONG_SECRET_FOR_RIGHT_KEY = token();
const SYNTAX_1 = token();
const SYNTAX_2 = token();
const BOMB = token();
const BAD_BASE64 = token();
const BESIDE_BAD_BASE64 = token();
const QUOTE_UNCLOSED = token();
const VALUES = [
  ROOT_USER,
  ROOT_PASSWORD,
  WRONG_KEY,
  WRONG_SECRET,
  WRONG_SECRET_FOR_RIGHT_KEY,
  SYNTAX_1,
  SYNTAX_2,
  BOMB,
  BAD_BASE64,
  BESIDE_BAD_BASE64,
  QUOTE_UNCLOSED,
];
// A value may surface as written or as the base64 a `data` field holds.
const NEEDLES = VALUES.flatMap((v) => [v, Buffer.from(v).toString("base64").replace(/=+$/, "")]);

let minio: MinioServer;
let work: string;

const b64 = (s: string): string => Buffer.from(s).toString("base64");

function bucket(name: string, secretName: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: Bucket
metadata: {name: ${name}, namespace: grep}
spec:
  interval: 10m
  bucketName: grep-bucket
  endpoint: ${minio.endpoint}
  insecure: true
  secretRef: {name: ${secretName}}
`;
}

function secret(name: string, accessKey: string, secretKey: string): string {
  return `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: grep}
data:
  accesskey: ${b64(accessKey)}
stringData:
  secretkey: "${secretKey}"
`;
}

// Malformed Secret documents, each with values inside the broken part.
const MALFORMED: Record<string, string> = {
  "syntax.yaml": `apiVersion: v1
kind: Secret
metadata: {name: syntax, namespace: grep}
stringData:
  accesskey: "${SYNTAX_1}" ${SYNTAX_2}
  secretkey: [${SYNTAX_2}
`,
  "unclosed.yaml": `kind: Secret
metadata: {name: unclosed, namespace: grep}
stringData:
  secretkey: "${QUOTE_UNCLOSED}
`,
  "bomb.yaml": `kind: Secret
metadata: {name: bomb, namespace: grep}
stringData:
  a: &a ["${BOMB}",x,x,x,x,x,x,x,x]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]
`,
  "base64.yaml": `kind: Secret
metadata: {name: base64, namespace: grep}
data:
  accesskey: ${b64(BESIDE_BAD_BASE64)}
  secretkey: "${BAD_BASE64}!"
`,
};

function hits(surface: string, text: string): string[] {
  return NEEDLES.filter((n) => text.includes(n)).map((n) => `${surface}: ${n}`);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

before(async () => {
  minio = await startMinio({ accessKey: ROOT_USER, secretKey: ROOT_PASSWORD });
  await minio.createBucket("grep-bucket");
  await minio.putObjects("grep-bucket", [
    ["app/deploy.yaml", "kind: Deployment\n"],
    ["app/svc.yaml", "kind: Service\n"],
  ]);
  work = await makeTempDir("grep");
});

after(async () => {
  await minio?.stop();
  if (work) await removeDir(work);
});

test("bucketops run at debug level: no Secret value in logs, API, reconcile answers, dashboard, metrics or storage", async () => {
  const config = path.join(work, "run-config");
  const storage = path.join(work, "run-storage");
  await mkdir(path.join(config, "secrets"), { recursive: true });
  await writeFile(path.join(config, "right.yaml"), bucket("right", "good"));
  await writeFile(path.join(config, "wrong.yaml"), bucket("wrong", "wrong"));
  await writeFile(path.join(config, "wrong-secret.yaml"), bucket("wrong-secret", "wrong-secret"));
  await writeFile(path.join(config, "uses-broken.yaml"), bucket("uses-broken", "syntax"));
  await writeFile(path.join(config, "secrets/good.yaml"), secret("good", ROOT_USER, ROOT_PASSWORD));
  await writeFile(path.join(config, "secrets/wrong.yaml"), secret("wrong", WRONG_KEY, WRONG_SECRET));
  await writeFile(
    path.join(config, "secrets/wrong-secret.yaml"),
    secret("wrong-secret", ROOT_USER, WRONG_SECRET_FOR_RIGHT_KEY),
  );
  for (const [name, text] of Object.entries(MALFORMED)) await writeFile(path.join(config, name), text);

  const server = await startServerProcess(runArgs(config, storage, "--log-level", "debug"));
  const found: string[] = [];
  let listing: { items: BucketView[]; problems: { file: string; message: string }[] };
  try {
    let last = "";
    listing = await waitFor(
      "the 4 Buckets, each reconciled once",
      async () => {
        last = await (await fetch(`${server.url}/api/buckets`)).text();
        const body = JSON.parse(last) as typeof listing;
        return body.items.length === 4 && body.items.every((b) => b.lastReconcile) ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, context: () => `last GET /api/buckets: ${last}` },
    );
    for (const b of listing.items) {
      const res = await fetch(`${server.url}/api/buckets/${b.namespace}/${b.name}`);
      found.push(...hits(`GET /api/buckets/${b.namespace}/${b.name}`, await res.text()));
      const reconciled = await fetch(`${server.url}/api/buckets/${b.namespace}/${b.name}/reconcile`, {
        method: "POST",
      });
      found.push(...hits(`POST …/${b.name}/reconcile`, await reconciled.text()));
    }
    found.push(...hits("GET /api/buckets", await (await fetch(`${server.url}/api/buckets`)).text()));
    found.push(...hits("GET / (dashboard)", await (await fetch(`${server.url}/`)).text()));
    found.push(...hits("GET /metrics", await (await fetch(`${server.url}/metrics`)).text()));
  } finally {
    await server.stop();
  }
  found.push(...hits("stderr (logs)", server.logs()), ...hits("stdout", server.stdout()));
  for (const file of await filesUnder(storage)) {
    const bytes = await readFile(file);
    const text = file.endsWith(".tar.gz") ? gunzipSync(bytes).toString("latin1") : bytes.toString("latin1");
    found.push(...hits(path.relative(storage, file), text));
  }

  assert.deepEqual(found, []);
  // The run did what the surfaces are meant to show: otherwise 0 hits would prove nothing.
  const outcome = (name: string): string | undefined =>
    listing.items.find((b) => b.name === name)?.lastReconcile?.outcome;
  assert.deepEqual(["right", "wrong", "wrong-secret", "uses-broken"].map(outcome), [
    "stored",
    "failed",
    "failed",
    "failed",
  ]);
  assert.deepEqual(listing.problems.map((p) => path.basename(p.file)).toSorted(), [
    "base64.yaml",
    "bomb.yaml",
    "syntax.yaml",
    "unclosed.yaml",
  ]);
  assert.match(server.logs(), /"level":20/, "debug lines were logged");
});

test("bucketops fetch: no Secret value on stdout or stderr with malformed, wrong or right Secrets", async () => {
  const dir = path.join(work, "fetch");
  await mkdir(dir, { recursive: true });
  const cases: Record<string, string> = {
    "right.yaml": `${bucket("right", "good")}---\n${secret("good", ROOT_USER, ROOT_PASSWORD)}`,
    "wrong.yaml": `${bucket("wrong", "wrong")}---\n${secret("wrong", WRONG_KEY, WRONG_SECRET)}`,
    "wrong-secret.yaml": `${bucket("ws", "ws")}---\n${secret("ws", ROOT_USER, WRONG_SECRET_FOR_RIGHT_KEY)}`,
    ...Object.fromEntries(
      Object.entries(MALFORMED).map(([name, text]) => [
        `malformed-${name}`,
        `${bucket("m", "syntax")}---\n${text}`,
      ]),
    ),
  };
  const found: string[] = [];
  const codes: Record<string, number | null> = {};
  const stderr: Record<string, string> = {};
  for (const [name, text] of Object.entries(cases)) {
    const file = path.join(dir, name);
    await writeFile(file, text);
    const result = await runCli([
      "fetch",
      file,
      "-o",
      path.join(dir, `out-${name}.tar.gz`),
      "--cache-dir",
      path.join(dir, `cache-${name}`),
      "--log-level",
      "debug",
    ]);
    codes[name] = result.code;
    stderr[name] = result.stderr;
    found.push(
      ...hits(`fetch ${name} stdout`, result.stdout),
      ...hits(`fetch ${name} stderr`, result.stderr),
    );
  }
  assert.deepEqual(found, []);
  // Exit codes: 0 fetched, 1 failed (wrong credentials), 2 usage (a file that does not load).
  assert.deepEqual(codes, {
    "right.yaml": 0,
    "wrong.yaml": 1,
    "wrong-secret.yaml": 1,
    "malformed-syntax.yaml": 2,
    "malformed-unclosed.yaml": 2,
    "malformed-bomb.yaml": 2,
    "malformed-base64.yaml": 2,
  });
  for (const name of Object.keys(MALFORMED))
    assert.match(stderr[`malformed-${name}`] ?? "", /document \d+/, `${name}: the error says where`);
});
