// The flags the chart subcommands share (light: no provider or spec code; actions/chart.ts does the work).
import { InvalidArgumentError, Option, type Command } from "commander";
import { CREDENTIALS_FILE_FLAG, type TargetFlags } from "../target-flags.js";

/** The flags every chart subcommand takes: which bucket (as push and fetch name it), and --json. */
export interface ChartTargetFlags extends TargetFlags {
  json?: boolean;
}

/** The flags of `chart push`. */
export interface ChartPushFlags extends ChartTargetFlags, ChartUrlFlags {
  force?: boolean;
}

/** The URL style flags of push and reindex. */
export interface ChartUrlFlags {
  relativeUrls?: boolean;
  urlBase?: string;
}

/** Adds the flags naming a bucket (as push has them) and --json. */
export function withChartTargetFlags(command: Command): Command {
  return command
    .option("--name <name>", "which Bucket of the YAML file, when it holds several")
    .option("--endpoint <host:port>", "S3-compatible endpoint for a URL target")
    .option("--region <region>", "region for a URL target")
    .option("--insecure", "plain HTTP to the endpoint")
    .option(...CREDENTIALS_FILE_FLAG)
    .option("--json", "print the result as JSON");
}

/** Adds --relative-urls (the default) and --url-base, which exclude each other. */
export function withUrlFlags(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--relative-urls",
        "index entries name archives by their path under the prefix, e.g. app-1.0.0.tgz (the default)",
      ).conflicts("urlBase"),
    )
    .addOption(
      new Option(
        "--url-base <url>",
        "index entries name archives as <url>/<path>, e.g. https://charts.example.com or s3://bucket/prefix (helm-s3's form)",
      ).argParser(urlBaseFlag),
    );
}

function urlBaseFlag(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]/i.test(value))
    throw new InvalidArgumentError("an absolute URL such as https://host/path or s3://bucket/prefix");
  return value;
}
