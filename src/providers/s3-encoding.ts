// S3 listings with EncodingType=url: keys (and v1 markers) come back percent-encoded, so every key S3 can hold
// survives the XML (control characters such as \x01 or \x1b are not allowed in XML 1.0, even as references).
import { ProviderError } from "./types.js";

/**
 * Decodes one value of a listing sent with `EncodingType=url`. S3 and MinIO encode like Go's url.QueryEscape
 * (a space becomes "+", a literal "+" is "%2B"). Throws ProviderError (Invalid) for a value that is not valid
 * percent-encoded UTF-8, rather than indexing a key that no GET could fetch.
 */
export function decodeListedKey(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll("+", " "));
  } catch (error) {
    throw new ProviderError(
      "Invalid",
      `the listing returned a key that is not valid url encoding: ${JSON.stringify(value)}`,
      { cause: error },
    );
  }
}

/** The decoder for one listing page: only a page that says it is url-encoded is decoded (some servers ignore it). */
export function listingDecoder(encodingType: string | undefined): (value: string) => string {
  return encodingType === "url" ? decodeListedKey : (value: string): string => value;
}
