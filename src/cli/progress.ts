// A progress bar on stderr when it is a terminal; silent otherwise (logs and pipes stay clean).
import cliProgress from "cli-progress";

export interface Progress {
  tick(event: { bytes: number; cached: boolean; total: number }): void;
  stop(): void;
}

/** Creates a bar counting objects made available (downloaded or from cache) and bytes downloaded. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: " {bar} {value}/{total} objects | {mb} MB downloaded | {cached} from cache | ETA {eta}s",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let bytes = 0;
  let cached = 0;
  let done = 0;
  return {
    tick(event): void {
      if (!started) {
        bar.start(event.total, 0, { mb: "0.0", cached: 0 });
        started = true;
      }
      bytes += event.bytes;
      if (event.cached) cached++;
      done++;
      bar.update(done, { mb: (bytes / 1e6).toFixed(1), cached });
    },
    stop(): void {
      if (started) bar.stop();
    },
  };
}
