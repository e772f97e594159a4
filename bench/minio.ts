// The bench's MinIO: the tests' MinIO (test/support/minio.ts) with public Prometheus metrics, so request counts
// can be read from the server itself.
import { startMinio, type MinioServer } from "../test/support/minio.js";

export interface BenchMinio extends MinioServer {
  /** S3 API request counts by API name (getobject, listobjectsv2, …) since the server started. */
  requestCounts(): Promise<Map<string, number>>;
}

/** Starts MinIO on 127.0.0.1 with a fresh data dir (and `env`, e.g. a webhook target); fails when the binary is missing. */
export async function startBenchMinio(env: Record<string, string> = {}): Promise<BenchMinio> {
  const minio = await startMinio({ env: { MINIO_PROMETHEUS_AUTH_TYPE: "public", ...env } });
  return {
    ...minio,
    async requestCounts(): Promise<Map<string, number>> {
      const counts = new Map<string, number>();
      const text = await (await fetch(`${minio.url}/minio/v2/metrics/node`)).text();
      for (const m of text.matchAll(/^minio_s3_requests_total\{([^}]*)\} (\S+)$/gm)) {
        const api = /api="([^"]+)"/.exec(m[1] ?? "")?.[1];
        if (api) counts.set(api, (counts.get(api) ?? 0) + Number(m[2]));
      }
      return counts;
    },
  };
}
