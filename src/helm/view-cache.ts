// The repository views of each Bucket, one folder per artifact digest under <storage>/helm/<ns>/<name>/, built at
// the first request for a state and reused until the Bucket publishes another (also across restarts).
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { RepoLocation } from "./chart-urls.js";
import { parseRepoIndex, type RepoIndex } from "./repo-index.js";
import { buildHelmView, loadHelmView, type HelmView } from "./repo-view.js";

/** The published state a view is built from. */
export interface PublishedState {
  artifactFile: string;
  /** `sha256:<hex>` of the artifact. */
  digest: string;
  lastUpdateTime: string;
  location: RepoLocation;
}

/** Views kept per Bucket: the current one and the one before (a download that read the old index still finishes). */
const KEEP = 2;

export class HelmViewCache {
  private readonly building = new Map<string, Promise<HelmView>>();
  private readonly views = new Map<string, HelmView>();

  /** `root` is the storage root's helm/ folder. */
  constructor(
    private readonly root: string,
    private readonly logger: Logger,
  ) {}

  /**
   * The view of `state` for Bucket `namespace/name`: from memory, from disk, or built now (once, however many
   * requests wait for it). Its problems are logged once, when it is built. Rejects when the artifact cannot be read.
   */
  view(namespace: string, name: string, state: PublishedState): Promise<HelmView> {
    const hex = state.digest.replace(/^sha256:/, "");
    const key = `${namespace}/${name}/${hex}`;
    const ready = this.views.get(key);
    // Its folder goes when the Bucket is deleted (ArtifactStore.remove); a Bucket recreated builds it again.
    if (ready && existsSync(ready.indexFile)) return Promise.resolve(ready);
    let pending = this.building.get(key);
    if (!pending) {
      pending = this.load(namespace, name, hex, state).finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return pending;
  }

  private async load(namespace: string, name: string, hex: string, state: PublishedState): Promise<HelmView> {
    const bucketDir = path.join(this.root, namespace, name);
    const dir = path.join(bucketDir, hex);
    const view = (await loadHelmView(dir)) ?? (await this.build(namespace, name, bucketDir, dir, state));
    this.views.set(`${namespace}/${name}/${hex}`, view);
    await this.prune(namespace, name, bucketDir, hex);
    return view;
  }

  private async build(
    namespace: string,
    name: string,
    bucketDir: string,
    dir: string,
    state: PublishedState,
  ): Promise<HelmView> {
    const tempDir = path.join(bucketDir, `.tmp-${randomBytes(8).toString("hex")}`);
    try {
      const view = await buildHelmView({
        artifactFile: state.artifactFile,
        artifactDigest: state.digest,
        publishedAt: state.lastUpdateTime,
        location: state.location,
        dir,
        tempDir,
        previous: await this.previousIndex(namespace, name),
      });
      await rm(path.join(tempDir, "state"), { recursive: true, force: true });
      await rm(path.join(tempDir, "packaged"), { recursive: true, force: true });
      await rename(tempDir, dir);
      const log = this.logger.child({ bucket: `${namespace}/${name}`, digest: state.digest });
      for (const problem of view.problems)
        log.warn({ file: problem.file, kind: problem.kind }, `helm repository: left out: ${problem.message}`);
      log.info({ charts: view.charts.size, skipped: view.problems.length }, "helm repository view built");
      return view;
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  }

  /** The newest view in memory for the Bucket, whose `created` times carry over to unchanged charts. */
  private async previousIndex(namespace: string, name: string): Promise<RepoIndex | undefined> {
    const prefix = `${namespace}/${name}/`;
    const last = [...this.views].filter(([key]) => key.startsWith(prefix)).at(-1)?.[1];
    if (!last) return undefined;
    const text = await readFile(last.indexFile, "utf8").catch(() => undefined);
    return text === undefined ? undefined : parseRepoIndex(text, last.indexFile);
  }

  private async prune(namespace: string, name: string, bucketDir: string, current: string): Promise<void> {
    const prefix = `${namespace}/${name}/`;
    const mine = [...this.views.keys()].filter((key) => key.startsWith(prefix));
    const keep = new Set([current, ...mine.slice(-KEEP).map((key) => key.slice(prefix.length))]);
    for (const key of mine) if (!keep.has(key.slice(prefix.length))) this.views.delete(key);
    const names = await readdir(bucketDir).catch(() => [] as string[]);
    for (const entry of names)
      if (/^[0-9a-f]{64}$/.test(entry) && !keep.has(entry))
        await rm(path.join(bucketDir, entry), { recursive: true, force: true });
  }
}
