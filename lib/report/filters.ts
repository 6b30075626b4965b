import { z } from 'zod';
import { DAY, HOUR, MINUTE } from '../core/clock';
import type { ReleaseStatus } from '../store/releases-store';

/**
 * The report's filters, one schema for every face that takes them (`qrn report`, `GET /api/releases`). A
 * problem names its field; its text holds the field names as placeholders ("{since}"), and each face words
 * them its own way: `--since` on the command line, `since` in the API's 400 answer (which also carries the
 * field on its own).
 */

export type ReportFormat = 'table' | 'csv' | 'json';
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'csv', 'json'];
export const RELEASE_STATUSES: readonly ReleaseStatus[] = [
  'pending',
  'notified',
  'skipped',
  'unmatched',
  'failed',
];

/** The fields a problem can name: the filters, and the API's paging parameters. */
export const REPORT_FIELDS = ['since', 'until', 'status', 'sender', 'format', 'top', 'continuation'] as const;
export type ReportField = (typeof REPORT_FIELDS)[number];

/**
 * The request header that carries filters, encoded like a query string (`sender=megan%40contoso.com&since=7d`).
 * The platform's request telemetry records a URL whole and no request header, so a filter that names a
 * person travels here and never in the URL (docs/security.md, What appears in logs).
 */
export const FILTER_HEADER = 'x-filters';

/**
 * A request's filters: its URL's parameters with the filter header's on top, to be read by the face's own
 * schema; or the first filter that names a person (one of `personal`) and came in the URL, to be refused.
 */
export function requestFilters(
  query: URLSearchParams,
  header: string | null | undefined,
  personal: readonly string[],
): { params: URLSearchParams } | { personalInUrl: string } {
  const personalInUrl = personal.find((name) => query.has(name));
  if (personalInUrl) return { personalInUrl };
  const params = new URLSearchParams(query);
  for (const [name, value] of new URLSearchParams(header ?? '')) params.set(name, value);
  return { params };
}

/** Why a filter that names a person is refused in a URL, and where it goes instead. */
export function personalInUrlProblem(field: string): string {
  return `${field} names a person, and a URL is recorded whole in the request log: send it in the ${FILTER_HEADER} header instead, encoded like a query string (${field}=…).`;
}

/** A field's name as a face shows it. */
export type FieldNaming = (field: ReportField) => string;
export const cliNaming: FieldNaming = (field) => `--${field}`;
export const apiNaming: FieldNaming = (field) => field;

/** A problem's text, its "{field}" placeholders worded by one face. */
export function wordProblem(template: string, naming: FieldNaming): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    (REPORT_FIELDS as readonly string[]).includes(name) ? naming(name as ReportField) : whole,
  );
}

/** What the filters as typed said wrong; the CLI exits 2, HTTP answers 400 with the field. */
export class ReportUsageError extends Error {
  override readonly name = 'ReportUsageError';
  /**
   * @param template the problem, with "{field}" placeholders (see wordProblem)
   * @param field the field it is about
   */
  constructor(
    readonly template: string,
    readonly field: ReportField,
  ) {
    super(wordProblem(template, cliNaming));
  }

  /** The problem as one face words it. */
  wordedFor(naming: FieldNaming): string {
    return wordProblem(this.template, naming);
  }
}

const UNITS: Record<string, number> = { m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };

/**
 * A point in time as an administrator types it: a duration back from now ("30m", "12h", "7d", "2w"), or an
 * ISO date ("2026-03-01", "2026-03-01T08:00", "2026-03-01T08:00:00+01:00"; no zone means UTC). Answers the
 * date, or the problem with "{field}" where the field's name goes.
 */
export function whenOf(text: string, now: Date): Date | { problem: string } {
  const value = text.trim();
  const duration = /^(\d+)\s*([mhdw])$/i.exec(value);
  if (duration) {
    const back = new Date(now.getTime() - Number(duration[1]) * UNITS[duration[2].toLowerCase()]);
    // "99999999999999999999d" is a duration, but no date: say so, rather than fail on it later.
    if (!Number.isNaN(back.getTime())) return back;
    return { problem: `"${text}" reaches back further than any date.` };
  }
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(value)) {
    const zoned = /T.*(Z|[+-]\d{2}:?\d{2})$/i.test(value) || !value.includes('T') ? value : `${value}Z`;
    const ms = Date.parse(zoned);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  return {
    problem: `"${text}" is neither a duration (30m, 12h, 7d, 2w) nor an ISO date (2026-03-01 or 2026-03-01T08:00Z).`,
  };
}

/** Absent or blank means "no filter". */
const given = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

function when(field: 'since' | 'until', now: Date) {
  return z
    .string()
    .optional()
    .transform((text, ctx): Date | undefined => {
      if (!given(text)) return undefined;
      const at = whenOf(text, now);
      if (at instanceof Date) return at;
      ctx.addIssue({ code: 'custom', message: `{${field}} ${at.problem}` });
      return z.NEVER;
    });
}

function oneOf<T extends string>(field: ReportField, values: readonly T[]) {
  return z
    .string()
    .optional()
    .transform((text, ctx): T | undefined => {
      if (!given(text)) return undefined;
      const value = text.trim().toLowerCase() as T;
      if (values.includes(value)) return value;
      ctx.addIssue({ code: 'custom', message: `{${field}} "${text}" is not one of ${values.join(', ')}.` });
      return z.NEVER;
    });
}

/** The filters as typed (CLI options, query string), checked and read; `now` anchors "7d". */
export function reportFiltersSchema(now: Date) {
  return z
    .object({
      since: when('since', now),
      until: when('until', now),
      status: oneOf('status', RELEASE_STATUSES),
      sender: z
        .string()
        .optional()
        .transform((text) => (given(text) ? text.trim().toLowerCase() : undefined)),
      format: oneOf('format', REPORT_FORMATS),
    })
    .superRefine((filters, ctx) => {
      if (filters.since && filters.until && filters.since.getTime() >= filters.until.getTime()) {
        ctx.addIssue({ code: 'custom', path: ['since'], message: '{since} must be earlier than {until}.' });
      }
    });
}

export type ReportFilterInput = z.input<ReturnType<typeof reportFiltersSchema>>;
export type ReportFilters = z.output<ReturnType<typeof reportFiltersSchema>>;

/** The filters read, or the first problem as a ReportUsageError naming its field. */
export function parseReportFilters(input: ReportFilterInput, now: Date): ReportFilters {
  const parsed = reportFiltersSchema(now).safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = (issue.path[0] ?? 'since') as ReportField;
  // An issue zod raised itself (a value that is not text at all) carries no placeholder: name the field.
  const template = issue.message.includes(`{${field}}`) ? issue.message : `{${field}} must be text.`;
  throw new ReportUsageError(template, field);
}
