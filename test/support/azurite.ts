// Starts a real Azurite blob service (the devDependency, run with this Node) on 127.0.0.1 with a fresh workspace.
// --disableTelemetry keeps Azurite from contacting anything beyond loopback.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { writeFile } from "node:fs/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import path from "node:path";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type StoragePipelineOptions,
} from "@azure/storage-blob";
import pLimit from "p-limit";
import { freePort } from "./ports.js";
import { stopProcess } from "./stop-process.js";
import { makeTempDir, removeDir } from "./temp.js";

/** Azurite's development account; the key is public, documented by Microsoft for the emulator. */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteServer {
  /** http(s)://127.0.0.1:<port>/devstoreaccount1, as a Bucket's spec.endpoint takes it. */
  endpoint: string;
  port: number;
  accountName: string;
  accountKey: string;
  client: BlobServiceClient;
  createContainer(name: string): Promise<void>;
  /** Uploads many blobs with bounded parallelism. */
  putObjects(container: string, objects: Iterable<[key: string, body: string | Buffer]>): Promise<void>;
  deleteObject(container: string, key: string): Promise<void>;
  listKeys(container: string): Promise<string[]>;
  /** A container SAS token (no leading `?`) allowing read + list, valid for an hour. */
  containerSas(container: string, permissions?: string): string;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  /** Serve HTTPS with this certificate and key (PEM); clients trust `tls.cert` as their CA. */
  tls?: { cert: string; key: string };
}

const require = createRequire(import.meta.url);

/** Starts Azurite's blob service; fails (never skips) when it cannot start. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<AzuriteServer> {
  const main = require.resolve("azurite/dist/src/blob/main.js");
  const workspace = await makeTempDir("azurite");
  const port = await freePort();
  const args = [
    main,
    "--blobHost",
    "127.0.0.1",
    "--blobPort",
    String(port),
    "--location",
    path.join(workspace, "data"),
    "--silent",
    "--disableTelemetry",
    "--skipApiVersionCheck",
  ];
  if (options.tls) {
    const cert = path.join(workspace, "cert.pem");
    const key = path.join(workspace, "key.pem");
    await writeFile(cert, options.tls.cert);
    await writeFile(key, options.tls.key);
    args.push("--cert", cert, "--key", key);
  }
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: workspace,
    // A clean environment: no AZURE_*/proxy variables, no inherited NODE_OPTIONS loaders.
    env: { PATH: process.env.PATH ?? "", HOME: workspace },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitForListening(child, () => output, 30_000);
  } catch (error) {
    await stopProcess(child, { signal: "SIGKILL" });
    await removeDir(workspace);
    throw new Error(`Azurite did not start: ${String(error)}\n${output}`);
  }

  const scheme = options.tls ? "https" : "http";
  const endpoint = `${scheme}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const sharedKey = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const agent = options.tls
    ? new HttpsAgent({ keepAlive: true, ca: options.tls.cert })
    : new HttpAgent({ keepAlive: true });
  // core-rest-pipeline's PipelineOptions.agent, passed through by @azure/storage-blob (as the provider does).
  const pipeline: StoragePipelineOptions & { agent: HttpAgent } = {
    agent,
    retryOptions: { maxTries: 3, retryDelayInMs: 200 },
  };
  const client = new BlobServiceClient(endpoint, sharedKey, pipeline);
  return {
    endpoint,
    port,
    accountName: AZURITE_ACCOUNT,
    accountKey: AZURITE_KEY,
    client,
    async createContainer(name: string): Promise<void> {
      await client.getContainerClient(name).create();
    },
    async putObjects(container: string, objects: Iterable<[string, string | Buffer]>): Promise<void> {
      const containerClient = client.getContainerClient(container);
      const limit = pLimit(32);
      await Promise.all(
        [...objects].map(([key, body]) =>
          limit(async () => {
            const data = typeof body === "string" ? Buffer.from(body) : body;
            await containerClient.getBlockBlobClient(key).upload(data, data.length);
          }),
        ),
      );
    },
    async deleteObject(container: string, key: string): Promise<void> {
      await client.getContainerClient(container).deleteBlob(key);
    },
    async listKeys(container: string): Promise<string[]> {
      const keys: string[] = [];
      for await (const blob of client.getContainerClient(container).listBlobsFlat()) keys.push(blob.name);
      return keys;
    },
    containerSas(container: string, permissions = "rl"): string {
      return generateBlobSASQueryParameters(
        {
          containerName: container,
          permissions: ContainerSASPermissions.parse(permissions),
          startsOn: new Date(Date.now() - 5 * 60_000),
          expiresOn: new Date(Date.now() + 60 * 60_000),
        },
        sharedKey,
      ).toString();
    },
    async stop(): Promise<void> {
      agent.destroy();
      await stopProcess(child);
      await removeDir(workspace);
    },
  };
}

/** Resolves when Azurite prints that it listens; rejects if it exits first or the deadline passes. */
function waitForListening(child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no "successfully listens" line within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (): void => {
      if (output().includes("successfully listens on")) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`Azurite exited (code ${String(code)}, signal ${String(signal)})`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}
