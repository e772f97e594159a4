import pino, { type Logger } from "pino";

/** JSON logs on stderr (stdout stays for command output), at the level asked for. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}
