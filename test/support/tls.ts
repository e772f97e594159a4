// A throwaway self-signed certificate for 127.0.0.1, made with openssl for TLS tests.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { makeTempDir } from "./temp.js";

export interface SelfSigned {
  /** Folder in MinIO's --certs-dir layout: public.crt + private.key. */
  dir: string;
  cert: string;
  key: string;
}

/** Creates a self-signed certificate valid for IP 127.0.0.1 and localhost. */
export async function selfSignedCert(): Promise<SelfSigned> {
  const dir = await makeTempDir("tls");
  const cert = path.join(dir, "public.crt");
  const key = path.join(dir, "private.key");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-keyout",
    key,
    "-out",
    cert,
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
  ]);
  return { dir, cert: await readFile(cert, "utf8"), key: await readFile(key, "utf8") };
}
