// Starts a real OpenLDAP slapd (Debian's `slapd` package) on 127.0.0.1 with a throwaway config and database:
// one organization, ou=people, and the user uid=flux with a known password.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { freePort, waitForTcp } from "./ports.js";
import { stopProcess } from "./stop-process.js";
import { makeTempDir, removeDir } from "./temp.js";

export interface LdapServer {
  /** host:port, as MINIO_IDENTITY_LDAP_SERVER_ADDR takes it. */
  address: string;
  baseDn: string;
  peopleDn: string;
  /** The administrator (rootdn) MinIO uses for its lookup bind. */
  adminDn: string;
  adminPassword: string;
  /** The user the tests log in as. */
  user: { uid: string; dn: string; password: string };
  /** The MINIO_IDENTITY_LDAP_* variables that point a MinIO at this server. */
  minioEnv(): Record<string, string>;
  stop(): Promise<void>;
}

const SLAPD_CANDIDATES = ["/usr/sbin/slapd", "/usr/local/sbin/slapd", "/usr/local/libexec/slapd"];

/** Finds slapd on PATH or in its usual places. */
function findSlapd(): string | undefined {
  for (const candidate of SLAPD_CANDIDATES) if (existsSync(candidate)) return candidate;
  const which = spawnSync("sh", ["-c", "command -v slapd"], { encoding: "utf8" });
  const found = which.stdout.trim();
  return which.status === 0 && found ? found : undefined;
}

/** Finds the folder holding back_mdb (Debian builds backends as modules). */
function findModulePath(): string | undefined {
  for (const dir of [
    "/usr/lib/ldap",
    "/usr/lib64/openldap",
    "/usr/lib/openldap",
    "/usr/local/libexec/openldap",
  ]) {
    if (existsSync(dir) && readdirSync(dir).some((f) => f.startsWith("back_mdb"))) return dir;
  }
  return undefined;
}

/** Starts slapd; fails (never skips) when it is not installed: `.ci/run` installs Debian's slapd. */
export async function startLdap(): Promise<LdapServer> {
  const slapd = findSlapd();
  if (slapd === undefined) {
    throw new Error(
      "slapd (OpenLDAP) not found; install it with: apt-get install -y --no-install-recommends slapd ldap-utils",
    );
  }
  const slapadd = path.join(path.dirname(slapd), "slapadd");
  const dir = await makeTempDir("ldap");
  const dbDir = path.join(dir, "db");
  await mkdir(dbDir);
  const port = await freePort();
  const baseDn = "dc=bucketops,dc=test";
  const peopleDn = `ou=people,${baseDn}`;
  const adminDn = `cn=admin,${baseDn}`;
  const adminPassword = "ldap-admin-7d1c";
  const user = { uid: "flux", dn: `uid=flux,${peopleDn}`, password: "flux-ldap-pass-3e9a" };

  const modulePath = findModulePath();
  const schemaDir = "/etc/ldap/schema";
  const conf = [
    `include ${schemaDir}/core.schema`,
    `include ${schemaDir}/cosine.schema`,
    `include ${schemaDir}/inetorgperson.schema`,
    `pidfile ${path.join(dir, "slapd.pid")}`,
    `argsfile ${path.join(dir, "slapd.args")}`,
    ...(modulePath ? [`modulepath ${modulePath}`, "moduleload back_mdb"] : []),
    "database mdb",
    "maxsize 16777216",
    `suffix "${baseDn}"`,
    `rootdn "${adminDn}"`,
    `rootpw ${adminPassword}`,
    `directory ${dbDir}`,
    // Users may bind (authenticate) and read; nobody else writes.
    "access to attrs=userPassword by anonymous auth by self read by * none",
    "access to * by * read",
    "",
  ].join("\n");
  const ldif = [
    `dn: ${baseDn}`,
    "objectClass: dcObject",
    "objectClass: organization",
    "o: bucketops test",
    "dc: bucketops",
    "",
    `dn: ${peopleDn}`,
    "objectClass: organizationalUnit",
    "ou: people",
    "",
    `dn: ${user.dn}`,
    "objectClass: inetOrgPerson",
    `uid: ${user.uid}`,
    "cn: Flux",
    "sn: Flux",
    `userPassword: ${user.password}`,
    "",
  ].join("\n");
  const confFile = path.join(dir, "slapd.conf");
  await writeFile(confFile, conf);
  await writeFile(path.join(dir, "data.ldif"), ldif);

  const loaded = spawnSync(slapadd, ["-f", confFile, "-l", path.join(dir, "data.ldif")], {
    encoding: "utf8",
  });
  if (loaded.status !== 0) {
    await removeDir(dir);
    throw new Error(
      `slapadd failed (${loaded.status ?? loaded.signal}): ${loaded.stderr}${loaded.error ?? ""}`,
    );
  }

  // `-d 0` keeps slapd in the foreground (a child we can stop) without debug output.
  const child: ChildProcess = spawn(slapd, ["-f", confFile, "-h", `ldap://127.0.0.1:${port}/`, "-d", "0"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitForTcp(port, 15_000, () => child.exitCode !== null);
  } catch (error) {
    await stopProcess(child, { signal: "SIGKILL" });
    await removeDir(dir);
    throw new Error(`slapd did not start: ${String(error)}\n${stderr}`);
  }

  const address = `127.0.0.1:${port}`;
  return {
    address,
    baseDn,
    peopleDn,
    adminDn,
    adminPassword,
    user,
    minioEnv: () => ({
      MINIO_IDENTITY_LDAP_SERVER_ADDR: address,
      MINIO_IDENTITY_LDAP_SERVER_INSECURE: "on",
      MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN: adminDn,
      MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD: adminPassword,
      MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN: peopleDn,
      MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER: "(uid=%s)",
    }),
    async stop(): Promise<void> {
      await stopProcess(child);
      await removeDir(dir);
    },
  };
}
