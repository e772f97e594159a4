// The CLI's surface as a user meets it (dist/: `npm run build` first): --version, errors printed once, log formats
// (JSON off a terminal or with --log-format json, text on a pseudo-terminal) and the no-credentials message.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { test, type TestContext } from "node:test";
import { CLI, runCli, type CliResult } from "../support/cli.js";
import { tempDir } from "../support/temp.js";

/** A file:// bucket of two objects, and fresh output and cache folders. */
async function fileBucket(t: TestContext): Promise<{ url: string; out: string; cache: string }> {
  const dir = await tempDir(t, "cli-ux");
  const data = path.join(dir, "data");
  await import("node:fs/promises").then((fs) => fs.mkdir(data));
  await writeFile(path.join(data, "a.yaml"), "a: 1\n");
  await writeFile(path.join(data, "b.yaml"), "b: 2\n");
  return { url: `file://${data}`, out: path.join(dir, "out"), cache: path.join(dir, "cache") };
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== "");
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** An environment in which no credential chain finds anything: empty HOME, no AWS_* vars, no instance metadata. */
function noCredentialsEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOME: home, AWS_EC2_METADATA_DISABLED: "true", XDG_CACHE_HOME: home };
  for (const name of Object.keys(process.env))
    if (name.startsWith("AWS_") && name !== "AWS_EC2_METADATA_DISABLED") env[name] = undefined;
  return env;
}

test("--version prints the version and exits 0; fetch --help still lists fetch's flags", async () => {
  const version = await runCli(["--version"]);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), "0.1.0");
  const help = await runCli(["fetch", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  for (const flag of [
    "--output <path>",
    "--credentials-file <secret.yaml>",
    "--max-objects <n>",
    "--log-format",
  ])
    assert.ok(help.stdout.includes(flag), `${flag} in:\n${help.stdout}`);
});

test("a failed fetch prints its error once: one 'error:' line on stderr and no JSON log line repeating it", async (t) => {
  const b = await fileBucket(t);
  const result = await runCli(["fetch", b.url, "-o", b.out, "--cache-dir", b.cache, "--max-objects", "1"]);
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(
    lines(result.stderr),
    [lines(result.stderr).find((l) => l.startsWith("error: fetch failed: LimitExceeded")) ?? "(none)"],
    result.stderr,
  );
});

test("run that cannot listen prints its error once, as one 'error:' line and no JSON line", async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const result = await runCli([
      "run",
      "--config",
      ".",
      "--storage",
      "/tmp",
      "--listen",
      `127.0.0.1:${port}`,
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(lines(result.stderr).length, 1, result.stderr);
    assert.match(result.stderr, /^error: listen EADDRINUSE/);
  } finally {
    blocker.close();
  }
});

test("--log-format json: every log line on stderr is a JSON object (fetch --log-level debug)", async (t) => {
  const b = await fileBucket(t);
  const result = await runCli([
    "--log-format",
    "json",
    "fetch",
    b.url,
    "-o",
    b.out,
    "--cache-dir",
    b.cache,
    "--log-level",
    "debug",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const logged = lines(result.stderr);
  assert.ok(logged.length > 0, "some log lines");
  for (const line of logged) assert.ok(isJson(line), `not JSON: ${line}`);
  assert.ok(
    logged.some((l) => (JSON.parse(l) as { msg?: string }).msg === "stored artifact"),
    result.stderr,
  );
});

test("logs are JSON when stderr is not a terminal, and the same with --log-format auto", async (t) => {
  const b = await fileBucket(t);
  const result = await runCli(["fetch", b.url, "-o", b.out, "--cache-dir", b.cache, "--log-level", "info"]);
  assert.equal(result.code, 0, result.stderr);
  const logged = lines(result.stderr);
  assert.ok(logged.length > 0 && logged.every(isJson), result.stderr);
});

test("on a pseudo-terminal (script(1)) logs are text from pino-pretty, not JSON; --log-format json forces JSON", async (t) => {
  const b = await fileBucket(t);
  const viaTty = (args: string[]): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(" ");
      const child = spawn("script", ["-qec", command, "/dev/null"], {
        env: { ...process.env, NO_COLOR: "1" },
      });
      let stdout = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        resolve({ code, stdout, stderr: "" });
      });
    });
  const fetchArgs = (n: number): string[] => [
    "fetch",
    b.url,
    "-o",
    `${b.out}${n}`,
    "--cache-dir",
    `${b.cache}${n}`,
  ];
  const text = await viaTty([...fetchArgs(1), "--log-level", "info"]);
  assert.equal(text.code, 0, text.stdout);
  assert.match(text.stdout, /\[\d\d:\d\d:\d\d\.\d{3}\] INFO: stored artifact\r?\n/, text.stdout);
  assert.ok(!text.stdout.includes('{"level":'), text.stdout);
  const json = await viaTty(["--log-format", "json", ...fetchArgs(2), "--log-level", "info"]);
  assert.equal(json.code, 0, json.stdout);
  // The progress bar shares the terminal, so the JSON line may follow it on the same row.
  assert.match(json.stdout, /\{"level":30,"time":"[^"]+",.*"msg":"stored artifact"\}/, json.stdout);
});

test("fetch and push of s3:// with no credentials anywhere: 'no credentials found: set secretRef, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or --credentials-file', exit 1, once", async (t) => {
  const home = await tempDir(t, "cli-ux-home");
  const env = noCredentialsEnv(home);
  // 127.0.0.1:1 refuses connections: a request would fail differently (ECONNREFUSED), so none was sent.
  const target = ["s3://no-such-bucket/prefix", "--endpoint", "127.0.0.1:1", "--insecure"];
  const fetched = await runCli(["fetch", ...target, "-o", path.join(home, "out")], { env });
  assert.equal(fetched.code, 1, fetched.stderr);
  assert.deepEqual(lines(fetched.stderr), [
    "error: fetch failed: no credentials found: set secretRef, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or --credentials-file <secret.yaml> (the AWS default credential chain found none)",
  ]);
  await writeFile(path.join(home, "file.txt"), "x\n");
  const pushed = await runCli(["push", home, ...target], { env });
  assert.equal(pushed.code, 1, pushed.stderr);
  assert.equal(lines(pushed.stderr).length, 1, pushed.stderr);
  assert.match(pushed.stderr, /^error: push failed: no credentials found: set secretRef, AWS_ACCESS_KEY_ID/);
});

test("--credentials-file gives fetch the keys of a Secret file: the same s3:// fetch then gets past credentials (to the refused endpoint)", async (t) => {
  const home = await tempDir(t, "cli-ux-home");
  const secret = path.join(home, "secret.yaml");
  await writeFile(
    secret,
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: keys\nstringData:\n  accesskey: minio\n  secretkey: minio-secret\n",
  );
  const result = await runCli(
    [
      "fetch",
      "s3://no-such-bucket/prefix",
      "--endpoint",
      "127.0.0.1:1",
      "--insecure",
      "-o",
      path.join(home, "out"),
      "--credentials-file",
      secret,
    ],
    { env: noCredentialsEnv(home) },
  );
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /connection to http:\/\/127\.0\.0\.1:1 refused/);
  assert.ok(!result.stderr.includes("no credentials found"), result.stderr);
  assert.ok(!result.stderr.includes("minio-secret"), "the secret key is not printed");
});
