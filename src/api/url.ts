// The `url` shorthand: one string that says provider, bucket and prefix.
import path from "node:path";
import { SpecError } from "./errors.js";

export type ResolvedProvider = "generic" | "aws" | "gcp" | "azure" | "file";

/** What a `url` says about where the bucket is. */
export interface UrlParts {
  /** Providers the URL is compatible with; the first is the default. */
  providers: ResolvedProvider[];
  bucketName: string;
  prefix: string;
  endpoint?: string;
}

const ALLOWED =
  "s3://<bucket>/<prefix>, gs://<bucket>/<prefix>, azblob://<account>/<container>/<prefix>, https://<account>.blob.core.windows.net/<container>/<prefix>, file:///<absolute dir> or file://<relative dir>";

/**
 * Parses a Bucket `url`. Relative `file://` paths resolve against `baseDir` (the folder of the YAML file).
 * Throws SpecError (reason URLInvalid) naming the accepted forms.
 */
export function parseBucketUrl(url: string, baseDir: string): UrlParts {
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(url); // "s": a prefix may hold a newline
  if (!schemeMatch) throw invalid(url, "it has no scheme");
  const scheme = (schemeMatch[1] ?? "").toLowerCase();
  const rest = schemeMatch[2] ?? "";
  switch (scheme) {
    case "s3":
      return { providers: ["aws", "generic"], ...bucketAndPrefix(url, rest) };
    case "gs":
      return { providers: ["gcp"], ...bucketAndPrefix(url, rest) };
    case "azblob": {
      const [account, ...tail] = rest.split("/");
      if (!account) throw invalid(url, "the storage account is missing");
      const endpoint = `https://${account}.blob.core.windows.net`;
      return { providers: ["azure"], endpoint, ...bucketAndPrefix(url, tail.join("/")) };
    }
    case "https":
    case "http": {
      const [host, ...tail] = rest.split("/");
      if (!host?.endsWith(".blob.core.windows.net")) {
        throw invalid(
          url,
          "only Azure blob URLs (https://<account>.blob.core.windows.net/...) are accepted over http(s)",
        );
      }
      return {
        providers: ["azure"],
        endpoint: `${scheme}://${host}`,
        ...bucketAndPrefix(url, tail.join("/")),
      };
    }
    case "file": {
      const decoded = decodePath(url, rest);
      if (decoded === "" || decoded.includes("\0")) throw invalid(url, "the directory is missing");
      // file:///abs → "/abs"; file://rel/dir → "rel/dir" relative to the YAML's folder.
      const dir = path.resolve(baseDir, decoded);
      return { providers: ["file"], bucketName: dir, prefix: "" };
    }
    default:
      throw invalid(url, `the scheme "${scheme}" is not supported`);
  }
}

function bucketAndPrefix(url: string, rest: string): { bucketName: string; prefix: string } {
  const slash = rest.indexOf("/");
  const bucketName = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? "" : rest.slice(slash + 1);
  if (!bucketName) throw invalid(url, "the bucket name is missing");
  return { bucketName, prefix };
}

function decodePath(url: string, rest: string): string {
  try {
    return decodeURIComponent(rest);
  } catch {
    throw invalid(url, "the directory is not valid percent-encoding (write % as %25)");
  }
}

function invalid(url: string, why: string): SpecError {
  return new SpecError(`spec.url "${url}" is invalid: ${why}; use ${ALLOWED}`, "URLInvalid");
}
