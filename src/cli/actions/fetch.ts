// The work of `bucketops fetch`, loaded only when the command runs (see commands/fetch.ts for its flags).
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { initialStatus, Reason } from "../../api/status.js";
import { extractTarGz } from "../../artifact/extract.js";
import { reconcile } from "../../engine/reconcile.js";
import { StateStore } from "../../standalone/state-store.js";
import { ArtifactStore } from "../../storage/artifact-store.js";
import type { FetchFlags } from "../commands/fetch.js";
import { CliError, ExitCode } from "../exit-codes.js";
import { limitsFromFlags } from "../flags.js";
import { createLogger } from "../logger.js";
import { noCredentialsMessage } from "../no-credentials.js";
import { createProgress } from "../progress.js";
import { defaultCacheDir, resolveTarget } from "../target.js";

/** Fetches the Bucket of <source> into --output. Throws CliError: Usage for a bad source or spec, Failed otherwise. */
export async function fetchAction(source: string, flags: FetchFlags): Promise<void> {
  const target = await resolveTarget(source, flags);
  const cacheDir = path.resolve(flags.cacheDir ?? defaultCacheDir());
  const store = new ArtifactStore({
    root: cacheDir,
    baseUrl: `file://${cacheDir}`,
    retentionRecords: 1,
    retentionTtlMs: 0,
  });
  const states = new StateStore(cacheDir);
  const saved = await states.load(target.ref.namespace, target.ref.name);
  const progress = createProgress();
  const result = await reconcile(
    {
      ref: target.ref,
      generation: 1,
      spec: withTimeout(target.spec, flags.timeout),
      baseDir: target.baseDir,
      status: saved?.status ?? initialStatus(),
    },
    {
      store,
      readSecret: (ns, name) => Promise.resolve(target.secrets.get(`${ns}/${name}`)),
      cacheRoot: path.join(cacheDir, "cache"),
      logger: await createLogger(flags.logLevel, flags.logFormat),
      // The error line below reports a failure; the engine's own log of it would say it twice.
      callerReportsFailure: true,
      concurrency: flags.concurrency,
      limits: limitsFromFlags(flags),
      onProgress: (e) => {
        progress.tick(e);
      },
    },
  );
  progress.stop();
  await states.save(target.ref.namespace, target.ref.name, {
    generation: 1,
    specHash: "",
    status: result.status,
  });
  const artifact = result.status.artifact;
  if (result.error || !artifact) {
    const noCredentials =
      result.error?.reason === Reason.AuthenticationFailed && result.spec
        ? noCredentialsMessage(result.spec)
        : undefined;
    const why = result.error
      ? (noCredentials ?? `${result.error.reason}: ${result.error.message}`)
      : "the Bucket is suspended";
    throw new CliError(
      `fetch failed: ${why}`,
      result.error?.policy === "stall" ? ExitCode.Usage : ExitCode.Failed,
    );
  }
  await writeOutput(store.absolute(artifact.path), path.resolve(flags.output), flags.force === true);
  const s = result.stats;
  if (flags.json) {
    process.stdout.write(
      JSON.stringify(
        {
          revision: artifact.revision,
          digest: artifact.digest,
          size: artifact.size,
          output: flags.output,
          stats: s,
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    process.stdout.write(
      `revision: ${artifact.revision}\ndigest:   ${artifact.digest}\n` +
        `${s.objects} objects (${s.downloaded} downloaded, ${s.cacheHits} from cache, ${s.ignored} ignored) → ${flags.output} in ${(s.durationMs / 1000).toFixed(2)} s\n`,
    );
  }
}

async function writeOutput(artifactFile: string, output: string, force: boolean): Promise<void> {
  if (/\.(tar\.gz|tgz)$/.test(output)) {
    await mkdir(path.dirname(output), { recursive: true });
    await copyFile(artifactFile, output);
    return;
  }
  const existing = await readdir(output).catch(() => []);
  if (existing.length > 0) {
    if (!force)
      throw new CliError(
        `output directory ${output} is not empty; pass --force to replace its contents`,
        ExitCode.Usage,
      );
    await rm(output, { recursive: true, force: true });
  }
  await extractTarGz(createReadStream(artifactFile), output);
}

/** The spec with `timeout` replaced by --timeout (as a Go duration in ms), when given. */
function withTimeout(spec: unknown, timeoutMs: number | undefined): unknown {
  if (timeoutMs === undefined || typeof spec !== "object" || spec === null) return spec;
  return { ...spec, timeout: `${timeoutMs}ms` };
}
