// Imported first by the CLI entry, so an unsupported Node stops before any dependency loads (ESM evaluates
// imports in order). Node 20 is past its end of life and the AWS and Azure SDKs bucketops uses need Node >= 22.
const MINIMUM = { major: 24, minor: 11 };

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < MINIMUM.major || (major === MINIMUM.major && minor < MINIMUM.minor)) {
  process.stderr.write(
    `error: bucketops needs Node.js >= ${MINIMUM.major}.${MINIMUM.minor} (an LTS release); ` +
      `this is Node.js ${process.versions.node}. Install Node.js 24 LTS from https://nodejs.org or your package manager.\n`,
  );
  process.exit(2);
}
