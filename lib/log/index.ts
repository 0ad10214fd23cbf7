import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** The member name, written as `name` on every line. */
  name: string;
  level: LogLevel;
}

/** A pino logger writing JSON lines to stderr. */
export function createLogger({ name, level }: LoggerOptions): Logger {
  return pino({ name, level }, pino.destination(2));
}
