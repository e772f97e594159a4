// Which object of the published state an index.yaml chart URL names: helm-s3 writes s3:// URLs, others gs://,
// azblob://, absolute http(s) URLs into the bucket, or URLs relative to the index.

/** Where the repository lives: the bucket (or container) and the prefix its state was published from. */
export interface RepoLocation {
  bucketName: string;
  /** The folder of the Bucket's prefix ("" or ending in "/", e.g. "charts/"): where index.yaml sits. */
  prefixDir: string;
}

/**
 * The object key a chart URL points at (artifacts hold objects by their full keys), or undefined when it points
 * outside the bucket (an external chart, left as it is). Relative URLs are relative to index.yaml, which sits in
 * the prefix's folder.
 */
export function statePathOfUrl(url: string, location: RepoLocation): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  let key: string | undefined;
  if (scheme === undefined) {
    key = location.prefixDir + url.replace(/[?#].*$/, "").replace(/^(\.\/)+/, "");
  } else {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const segments = parsed.pathname
      .split("/")
      .filter((s) => s !== "")
      .map(safeDecode);
    if (scheme === "s3" || scheme === "gs" || scheme === "azblob") {
      if (parsed.hostname !== location.bucketName.toLowerCase()) return undefined;
      key = segments.join("/");
    } else if (scheme === "http" || scheme === "https") {
      // Virtual-hosted style (<bucket>.s3.amazonaws.com) or path style (<endpoint>/<bucket>/<key>).
      if (parsed.hostname.startsWith(`${location.bucketName.toLowerCase()}.`)) key = segments.join("/");
      else if (segments[0] === location.bucketName) key = segments.slice(1).join("/");
      else return undefined;
    } else {
      return undefined;
    }
  }
  return key.split("/").some((s) => s === ".." || s === "." || s === "") ? undefined : key;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
