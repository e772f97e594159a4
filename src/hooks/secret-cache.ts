// Hook Secrets, read through the runtime's reader and kept for a while: a webhook must not cost an API call.
import type { SecretData, SecretReader } from "../credentials/secret.js";

interface Cached {
  data: SecretData | undefined;
  readAt: number;
}

/**
 * Caches Secret reads for `ttlMs`. `get(…, {refresh: true})` re-reads a value older than `minAgeMs` (a rotated
 * token works on its first use, while wrong tokens cost at most one read per `minAgeMs`). A failed refresh keeps
 * serving the value read before; a failed first read throws.
 */
export class SecretCache {
  private readonly cached = new Map<string, Cached>();
  private readonly reading = new Map<string, Promise<Cached>>();

  constructor(
    private readonly read: SecretReader,
    private readonly ttlMs: number,
    private readonly minAgeMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The Secret's data (undefined: it does not exist), from the cache while fresh. */
  async get(
    namespace: string,
    name: string,
    options: { refresh?: boolean } = {},
  ): Promise<SecretData | undefined> {
    const key = `${namespace}/${name}`;
    const hit = this.cached.get(key);
    const age = hit ? this.now() - hit.readAt : Infinity;
    const stale = age >= this.ttlMs || (options.refresh === true && age >= this.minAgeMs);
    if (hit && !stale) return hit.data;
    try {
      return (await this.load(key, namespace, name)).data;
    } catch (error) {
      if (hit) return hit.data;
      throw error;
    }
  }

  private load(key: string, namespace: string, name: string): Promise<Cached> {
    const inFlight = this.reading.get(key);
    if (inFlight) return inFlight;
    const loading = this.read(namespace, name)
      .then((data) => {
        const entry = { data, readAt: this.now() };
        this.cached.set(key, entry);
        return entry;
      })
      .finally(() => this.reading.delete(key));
    this.reading.set(key, loading);
    return loading;
  }
}
