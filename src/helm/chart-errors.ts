// Why a chart (archive, folder or Chart.yaml) cannot be used; the message always names the file.

/** What is wrong with a chart: the caller leaves it out, logs the file and can surface the kind. */
export type ChartErrorKind =
  "not-a-chart" | "no-version" | "bad-version" | "bad-yaml" | "too-large" | "bad-archive";

/** A chart that cannot be read. `file` is the archive, folder or Chart.yaml path (or object key) at fault. */
export class ChartError extends Error {
  override readonly name = "ChartError";
  constructor(
    readonly kind: ChartErrorKind,
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}
