// --log-format, a global option: how the commands that log (run, controller, fetch) write their logs on stderr.
import { InvalidArgumentError, Option } from "commander";

/** auto: text on a terminal, JSON otherwise; json: one JSON object a line; text: human-readable (pino-pretty). */
export type LogFormat = "auto" | "json" | "text";

/** The global flags every action may read (with `command.optsWithGlobals()`). */
export interface LogFormatFlags {
  logFormat: LogFormat;
}

/** The global `--log-format <auto|json|text>` option (default auto). */
export function logFormatOption(): Option {
  return new Option(
    "--log-format <format>",
    "logs on stderr: auto (text on a terminal, else JSON), json or text",
  )
    .argParser(parseLogFormat)
    .default("auto");
}

function parseLogFormat(value: string): LogFormat {
  if (value === "auto" || value === "json" || value === "text") return value;
  throw new InvalidArgumentError("must be auto, json or text");
}

/** Whether logs are text: asked for, or auto and `stream` is a terminal. */
export function isTextLog(format: LogFormat, stream: { isTTY?: boolean }): boolean {
  return format === "text" || (format === "auto" && stream.isTTY === true);
}
