// Imported first by the CLI entry, so an unsupported Node stops before any dependency loads (ESM evaluates
// imports in order). Node 20 is past its end of life and the AWS and Azure SDKs bucketops uses need Node >= 22;
// bucketops targets Node 24 LTS (supported until April 2028).
const MINIMUM = { major: 24, minor: 11 };

/** Why this Node version cannot run bucketops, or undefined when it can. */
export function unsupportedRuntime(version: string): string | undefined {
  const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number);
  if (major > MINIMUM.major || (major === MINIMUM.major && minor >= MINIMUM.minor)) return undefined;
  return (
    `bucketops needs Node.js >= ${MINIMUM.major}.${MINIMUM.minor} (an LTS release); this is Node.js ${version}. ` +
    `Install Node.js 24 LTS from https://nodejs.org or your package manager.`
  );
}

const problem = unsupportedRuntime(process.versions.node);
if (problem) {
  process.stderr.write(`error: ${problem}\n`);
  process.exit(2);
}
