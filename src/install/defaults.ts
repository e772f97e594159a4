// The install options and their defaults, apart from the manifests so that the CLI can show the defaults in its
// help without loading the schema and the CRD generator.
export interface InstallOptions {
  namespace: string;
  image: string;
  /** Only Buckets with these labels (sharding); undefined = all. */
  watchLabelSelector?: string;
  /** Bucket-event hooks to enable, as `--hook-secret` takes them: `<kind>=<namespace>/<secret>`. */
  hookSecrets?: readonly string[];
}

export const DEFAULT_INSTALL: InstallOptions = {
  namespace: "flux-system",
  image: "ghcr.io/bucketops/bucketops:v0.1.0",
};
