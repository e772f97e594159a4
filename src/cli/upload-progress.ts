// The push progress bar: on stderr when it is a terminal, silent otherwise (pipes get the summary line only).
import cliProgress from "cli-progress";

export interface UploadProgress {
  start(objects: number, bytes: number): void;
  uploaded(bytes: number): void;
  stop(): void;
}

/** Creates a bar counting uploaded objects and megabytes against the plan's totals. */
export function createUploadProgress(stream: NodeJS.WriteStream = process.stderr): UploadProgress {
  if (!stream.isTTY) return { start: () => undefined, uploaded: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: " {bar} {value}/{total} objects | {mb}/{totalMb} MB uploaded | ETA {eta}s",
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let bytes = 0;
  let done = 0;
  return {
    start(objects, total): void {
      if (objects === 0) return;
      bar.start(objects, 0, { mb: "0.0", totalMb: (total / 1e6).toFixed(1) });
      started = true;
    },
    uploaded(n): void {
      if (!started) return;
      bytes += n;
      done++;
      bar.update(done, { mb: (bytes / 1e6).toFixed(1) });
    },
    stop(): void {
      if (started) bar.stop();
      started = false;
    },
  };
}
