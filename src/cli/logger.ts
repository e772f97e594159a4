import pino, { type Logger } from "pino";
import { isTextLog, type LogFormat } from "./log-format.js";

/**
 * A logger on stderr (stdout stays for command output) at the level asked for: JSON lines, or human-readable text
 * through pino-pretty (see isTextLog). pino-pretty is imported only when text is chosen, to keep startup short.
 */
export async function createLogger(level: string, format: LogFormat = "json"): Promise<Logger> {
  const options = { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime };
  if (!isTextLog(format, process.stderr)) return pino(options, pino.destination(2));
  const { default: pretty } = await import("pino-pretty");
  return pino(
    options,
    pretty({
      destination: 2,
      sync: true,
      colorize: process.stderr.isTTY && !process.env.NO_COLOR,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
    }),
  );
}
