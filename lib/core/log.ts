/**
 * The app's logger: structured enough for Application Insights, plain enough for a terminal.
 * Log lines carry ids and counts; subjects and addresses only when LOG_PERSONAL_DATA allows it
 * (see `personal`).
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

type Sink = (level: 'info' | 'warn' | 'error', line: string) => void;

export function formatFields(fields?: Record<string, unknown>): string {
  if (!fields) return '';
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? ' ' + parts.join(' ') : '';
}

export function createLogger(sink: Sink): Logger {
  return {
    info: (m, f) => sink('info', m + formatFields(f)),
    warn: (m, f) => sink('warn', m + formatFields(f)),
    error: (m, f) => sink('error', m + formatFields(f)),
  };
}

export const consoleLogger: Logger = createLogger((level, line) => {
  const stamp = new Date().toISOString();
  if (level === 'error') console.error(`${stamp} ERROR ${line}`);
  else if (level === 'warn') console.warn(`${stamp} WARN  ${line}`);
  else console.log(`${stamp} INFO  ${line}`);
});

/** A logger that remembers its lines: for tests and for the CLI's summaries. */
export class MemoryLogger implements Logger {
  readonly lines: { level: 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> }[] =
    [];
  info(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: Record<string, unknown>) {
    this.lines.push({ level: 'error', message, fields });
  }
  text(): string {
    return this.lines.map((l) => `${l.level} ${l.message}${formatFields(l.fields)}`).join('\n');
  }
}

/** Redacts personal data (addresses, subjects) from log fields unless the setting allows it. */
export function personal(allowed: boolean, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return allowed ? value : '[redacted]';
}
