// Starts a real etcd + Kubernetes API server (built by scripts/test-servers.sh from test-servers/kube) on 127.0.0.1.
// No controller-manager, scheduler or kubelet: objects are stored and served, nothing reconciles them.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { request } from "node:https";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { textResponse, type TextResponse } from "./http.js";
import { freePort, waitForHttp } from "./ports.js";
import { isRunning, stopProcess } from "./stop-process.js";
import { makeTempDir, removeDir } from "./temp.js";
import { waitFor } from "./wait.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const KUBE_APISERVER_BIN = path.join(repoRoot, ".cache/bin/kube-apiserver");
export const ETCD_BIN = path.join(repoRoot, ".cache/bin/etcd");
export const KUBECTL_BIN = path.join(repoRoot, ".cache/bin/kubectl");

export interface KubeIdentity {
  user: string;
  groups: string[];
  token: string;
  /** A kubeconfig (one cluster, one user, current context set) for this identity. */
  kubeconfigPath: string;
}

export interface KubeServer {
  /** https://127.0.0.1:<port> */
  server: string;
  /** PEM of the CA that signed the API server's self-signed serving certificate (in every kubeconfig). */
  caPem: string;
  /** The admin token (user "admin", group system:masters). */
  token: string;
  /** The admin kubeconfig. */
  kubeconfigPath: string;
  /** A second identity with no groups and no RBAC bindings: bind roles to it to test least privilege. */
  controller: KubeIdentity;
  /** Temp dir holding etcd data, certificates, keys and kubeconfigs; removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

export interface StartKubeOptions {
  /** Milliseconds to wait for /readyz (default 120 s: the first start on a busy 2-core machine is slow). */
  timeoutMs?: number;
}

/** Starts etcd and kube-apiserver; fails (never skips) when a binary is missing: run `npm run test-servers`. */
export async function startKube(options: StartKubeOptions = {}): Promise<KubeServer> {
  for (const bin of [ETCD_BIN, KUBE_APISERVER_BIN]) {
    if (!existsSync(bin)) throw new Error(`${bin} not found; run 'npm run test-servers' to build it`);
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  const dir = await makeTempDir("kube");
  const children: ChildProcess[] = [];
  // Synchronous, for process "exit" too (no await there): stopProcess cannot serve.
  const killAll = (): void => {
    for (const child of children) if (isRunning(child)) child.kill("SIGKILL");
  };
  process.on("exit", killAll);
  try {
    const used = new Set<number>();
    const clientPort = await distinctFreePort(used);
    const peerPort = await distinctFreePort(used);
    const securePort = await distinctFreePort(used);
    const etcd = spawnLogged(
      ETCD_BIN,
      [
        "--name=bucketops-test",
        `--data-dir=${path.join(dir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${clientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=bucketops-test=http://127.0.0.1:${peerPort}`,
        "--initial-cluster-state=new",
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      dir,
    );
    children.push(etcd.child);
    await raceExit(waitForHttp(`http://127.0.0.1:${clientPort}/health`, timeoutMs), etcd, "etcd");

    const certDir = path.join(dir, "certs");
    await mkdir(certDir);
    const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const saPub = path.join(dir, "sa.pub");
    const saKey = path.join(dir, "sa.key");
    await writeFile(saPub, sa.publicKey.export({ type: "spki", format: "pem" }));
    await writeFile(saKey, sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });

    const admin = { user: "admin", groups: ["system:masters"], token: randomBytes(24).toString("hex") };
    const controller = {
      user: "bucketops-controller",
      groups: [] as string[],
      token: randomBytes(24).toString("hex"),
    };
    const tokenFile = path.join(dir, "tokens.csv");
    // token,user,uid[,"group1,group2"]
    await writeFile(
      tokenFile,
      [admin, controller]
        .map((id) =>
          [id.token, id.user, id.user, ...(id.groups.length ? [`"${id.groups.join(",")}"`] : [])].join(","),
        )
        .join("\n") + "\n",
      { mode: 0o600 },
    );

    const apiserver = spawnLogged(
      KUBE_APISERVER_BIN,
      [
        `--etcd-servers=http://127.0.0.1:${clientPort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${securePort}`,
        `--cert-dir=${certDir}`,
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--token-auth-file=${tokenFile}`,
        "--authorization-mode=RBAC",
        // Config value only: nothing routes there.
        "--service-cluster-ip-range=10.0.0.0/24",
        // The default/kubernetes Endpoints would point at 127.0.0.1, which Endpoints validation rejects.
        "--endpoint-reconciler-type=none",
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        "--v=0",
      ],
      dir,
    );
    children.push(apiserver.child);
    const server = `https://127.0.0.1:${securePort}`;
    const caPem = await raceExit(
      waitForReadyz(server, path.join(certDir, "apiserver.crt"), admin.token, timeoutMs),
      apiserver,
      "kube-apiserver",
    );

    const kubeconfig = async (id: { user: string; token: string }): Promise<string> => {
      const file = path.join(dir, `kubeconfig-${id.user}.json`);
      // JSON is valid YAML: kubectl and @kubernetes/client-node read it as a kubeconfig.
      const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "test",
            cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") },
          },
        ],
        users: [{ name: id.user, user: { token: id.token } }],
        contexts: [{ name: id.user, context: { cluster: "test", user: id.user, namespace: "default" } }],
        "current-context": id.user,
        preferences: {},
      };
      await writeFile(file, JSON.stringify(config, null, 2), { mode: 0o600 });
      return file;
    };

    let stopped = false;
    return {
      server,
      caPem,
      token: admin.token,
      kubeconfigPath: await kubeconfig(admin),
      controller: { ...controller, kubeconfigPath: await kubeconfig(controller) },
      dir,
      async stop() {
        if (stopped) return;
        stopped = true;
        await terminate(apiserver.child);
        await terminate(etcd.child);
        process.off("exit", killAll);
        await removeDir(dir);
      },
    };
  } catch (error) {
    killAll();
    await Promise.all(children.map((child) => terminate(child)));
    process.off("exit", killAll);
    await removeDir(dir);
    throw error;
  }
}

interface Logged {
  child: ChildProcess;
  /** The last few KiB of stderr+stdout, for error messages. */
  tail(): string;
  exited: Promise<string>;
}

function spawnLogged(bin: string, args: string[], home: string): Logged {
  const child = spawn(bin, args, {
    // A minimal environment: no proxies or cloud credentials leak in from the developer's shell.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, NO_PROXY: "*" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const append = (chunk: Buffer): void => {
    log = (log + chunk.toString("utf8")).slice(-8192);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const tail = (): string => log;
  const exited = new Promise<string>((resolve) => {
    child.on("exit", (code, signal) => {
      resolve(`exited (code ${String(code)}, signal ${String(signal)})`);
    });
    child.on("error", (error) => {
      resolve(`failed to start: ${error.message}`);
    });
  });
  return { child, tail, exited };
}

/** Resolves with `ready`, or rejects with the process's log when it exits first or `ready` fails. */
async function raceExit<T>(ready: Promise<T>, proc: Logged, name: string): Promise<T> {
  const exit = proc.exited.then((how): never => {
    throw new Error(`${name} ${how} before it was ready:\n${proc.tail()}`);
  });
  try {
    return await Promise.race([ready, exit]);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(name)) throw error;
    throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}\n${proc.tail()}`);
  } finally {
    exit.catch(() => undefined);
  }
}

/** Polls /readyz over TLS, trusting the CA the API server wrote next to its self-signed serving certificate. */
async function waitForReadyz(
  server: string,
  certFile: string,
  token: string,
  timeoutMs: number,
): Promise<string> {
  let last = "no answer yet";
  return waitFor(
    `${server}/readyz`,
    async () => {
      if (!existsSync(certFile)) return undefined;
      // The file holds the serving certificate followed by the CA that signed it.
      const blocks = (await readFile(certFile, "utf8")).match(
        /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
      );
      const caPem = blocks?.at(-1);
      if (!caPem) return undefined;
      try {
        const { status, body } = await get(`${server}/readyz`, caPem, token);
        if (status === 200) return caPem + "\n";
        last = `HTTP ${status}: ${body.slice(0, 2000)}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 200, context: () => `last answer: ${last}` },
  );
}

function get(url: string, ca: string, token: string): Promise<TextResponse> {
  const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5000 });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  return textResponse(req);
}

async function distinctFreePort(used: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!used.has(port)) {
      used.add(port);
      return port;
    }
  }
}

/** SIGTERM, then SIGKILL after 10 s (etcd flushes on shutdown); resolves once the process is gone. */
function terminate(child: ChildProcess): Promise<void> {
  return stopProcess(child, { graceMs: 10_000 });
}
