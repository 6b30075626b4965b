import { releaseRowKey, type ReleasesStore } from '../store/releases-store';
import { senderMatches, toReportLine, type ReportLine, type ReportQuery } from './report';

/**
 * One page of the report for the releases API: at most `max` lines, and a continuation token when more
 * follow. The token names the last row's table key (the table's own order), so the next page starts right
 * after it however many rows were added or settled meanwhile.
 */
export const MAX_ROWS_PER_RESPONSE = 1000;

export interface ReportPage {
  lines: ReportLine[];
  continuation?: string;
}

interface Position {
  partitionKey: string;
  rowKey: string;
}

export async function reportPage(
  releases: Pick<ReleasesStore, 'list'>,
  query: ReportQuery,
  options: { max: number; continuation?: Position },
): Promise<ReportPage> {
  const lines: ReportLine[] = [];
  let last: Position | undefined;
  for await (const row of releases.list({
    status: query.status,
    since: query.since,
    until: query.until,
    after: options.continuation,
  })) {
    if (query.sender && !senderMatches(row.sender, query.sender)) continue;
    if (lines.length === options.max) return { lines, continuation: encodePosition(last!) };
    lines.push(toReportLine(row));
    last = { partitionKey: row.networkMessageId, rowKey: row.storedRowKey ?? releaseRowKey(row.releasedTo) };
  }
  return { lines };
}

function encodePosition(position: Position): string {
  return Buffer.from(JSON.stringify([position.partitionKey, position.rowKey])).toString('base64url');
}

/** A token this API gave, or undefined for anything else (a 400). */
export function decodeContinuation(token: string): Position | undefined {
  if (token.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 1024)
    ) {
      return { partitionKey: value[0] as string, rowKey: value[1] as string };
    }
  } catch {
    // not JSON: not ours
  }
  return undefined;
}
