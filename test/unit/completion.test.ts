// `bucketops completion bash|zsh|fish`: scripts generated from the commander tree. The bash script is run in
// bash; zsh and fish are not installed here, so their scripts are checked for the same transitions and lists.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";
import { Command } from "commander";
import { completionScript } from "../../src/cli/completion.js";

function program(): Command {
  const p = new Command("bucketops").version("1.0.0");
  const get = p.command("get");
  get.command("buckets").alias("bucket").option("-o, --output <f>");
  get
    .command("source")
    .alias("sources")
    .command("bucket [name]")
    .option("-A, --all-namespaces")
    .option("-n, --namespace <ns>");
  p.command("run").option("--api-token <t>");
  return p;
}

async function bashComplete(script: string, words: string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const { stdout } = await promisify(execFile)("bash", [
    "-c",
    `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _bucketops; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ]);
  return stdout.split("\n").filter((l) => l !== "");
}

test("bash completion completes subcommands (through aliases) and the flags of the command typed so far", async () => {
  const script = completionScript(program(), "bash");
  assert.deepEqual(await bashComplete(script, ["bucketops", ""]), ["get", "run"]);
  assert.deepEqual(await bashComplete(script, ["bucketops", "get", "so"]), ["source", "sources"]);
  assert.deepEqual(await bashComplete(script, ["bucketops", "get", "sources", "b"]), ["bucket"]);
  assert.deepEqual(await bashComplete(script, ["bucketops", "get", "sources", "bucket", "--a"]), [
    "--all-namespaces",
  ]);
  assert.deepEqual(await bashComplete(script, ["bucketops", "get", "source", "bucket", "-n", "x", "-"]), [
    "--help",
    "--all-namespaces",
    "-A",
    "--namespace",
    "-n",
  ]);
  assert.deepEqual(await bashComplete(script, ["bucketops", "run", "--api"]), ["--api-token"]);
  assert.deepEqual(await bashComplete(script, ["bucketops", "--v"]), ["--version"]);
});

test("zsh and fish scripts hold the same transitions (aliases included) and subcommand/flag lists, and register themselves", () => {
  const zsh = completionScript(program(), "zsh");
  assert.match(zsh, /^#compdef bucketops\n/);
  assert.match(zsh, /"bucketops get\/sources"\) key="bucketops get source" ;;/);
  assert.match(
    zsh,
    /"bucketops get source bucket"\) subs=""; flags="--help --all-namespaces -A --namespace -n" ;;/,
  );
  assert.match(zsh, /compdef _bucketops bucketops/);
  const fish = completionScript(program(), "fish");
  assert.match(fish, /case "bucketops get\/sources"\n\s+set key "bucketops get source"/);
  assert.match(fish, /case "bucketops get"\n\s+set subs buckets bucket source sources\n\s+set flags --help/);
  assert.match(fish, /complete -c bucketops -f -a '\(_bucketops_complete\)'/);
});
