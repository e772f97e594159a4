// Names the network failure a user can fix (certificate, DNS, refused connection) from Node's error codes.

const CERT_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The `code` of an error or of its causes. */
export function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if (typeof e === "object" && "code" in e && typeof e.code === "string") return e.code;
    e = e instanceof Error ? e.cause : undefined;
  }
  return undefined;
}

/**
 * A sentence saying what to fix for certificate and connection errors, or undefined for other errors.
 * Certificate problems say to set spec.certSecretRef; they are not retried faster than the interval.
 */
export function describeNetworkError(
  error: unknown,
  endpoint: string,
): { message: string; certificate: boolean } | undefined {
  const code = errorCode(error);
  if (code === undefined) return undefined;
  if (CERT_CODES.has(code)) {
    return {
      certificate: true,
      message: `the TLS certificate of ${endpoint} is not trusted (${code}); set spec.certSecretRef to a Secret whose ca.crt holds the CA that signed it`,
    };
  }
  if (code === "ERR_PROXY_REFUSED") {
    const message = error instanceof Error ? error.message : "the proxy refused the tunnel";
    return { certificate: false, message };
  }
  if (code === "ECONNREFUSED")
    return {
      certificate: false,
      message: `connection to ${endpoint} refused (${code}); check spec.endpoint and that the server is up`,
    };
  if (code === "ENOTFOUND" || code === "EAI_AGAIN")
    return { certificate: false, message: `host of ${endpoint} not found (${code}); check spec.endpoint` };
  if (code === "EPROTO" || code === "ERR_SSL_WRONG_VERSION_NUMBER") {
    return {
      certificate: false,
      message: `TLS handshake with ${endpoint} failed (${code}); is it plain HTTP? then set spec.insecure: true`,
    };
  }
  return undefined;
}
