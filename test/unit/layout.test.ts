// The stages of src/ depend on each other in one direction only: no folder imports one that imports it back.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src");

async function folderGraph(): Promise<Map<string, Set<string>>> {
  const graph = new Map<string, Set<string>>();
  const entries = await readdir(src, { recursive: true, withFileTypes: true });
  for (const entry of entries.filter((e) => e.isFile() && e.name.endsWith(".ts"))) {
    const file = path.join(entry.parentPath, entry.name);
    const from = path.relative(src, file).split(path.sep)[0] ?? "";
    const text = await readFile(file, "utf8");
    for (const match of text.matchAll(/from "(\.[^"]+)"/g)) {
      const to =
        path.relative(src, path.resolve(path.dirname(file), match[1] ?? "")).split(path.sep)[0] ?? "";
      if (to === from || to.startsWith("..")) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)?.add(to);
    }
  }
  return graph;
}

test("src/ folders form an acyclic graph (one direction of data flow)", async () => {
  const graph = await folderGraph();
  const state = new Map<string, "visiting" | "done">();
  const visit = (node: string, trail: string[]): void => {
    if (state.get(node) === "done") return;
    assert.notEqual(state.get(node), "visiting", `import cycle: ${[...trail, node].join(" → ")}`);
    state.set(node, "visiting");
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
    state.set(node, "done");
  };
  for (const node of graph.keys()) visit(node, []);
  assert.ok(graph.get("engine")?.has("source"), "the graph was read (engine uses source)");
});

test("the engine knows no Kubernetes and no runtime; providers know no engine", async () => {
  const graph = await folderGraph();
  for (const forbidden of ["kube", "standalone", "cli"])
    assert.ok(!graph.get("engine")?.has(forbidden), `engine → ${forbidden}`);
  for (const forbidden of ["engine", "source", "kube", "standalone"])
    assert.ok(!graph.get("providers")?.has(forbidden), `providers → ${forbidden}`);
});
