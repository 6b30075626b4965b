/** Test-only: reads an .eml the simulator's outbox wrote, the way a mail client would. */

export interface ParsedEml {
  /** Raw header lines, unfolded, in order. */
  headerLines: string[];
  /** Header values by lower-cased name (first occurrence), unfolded and RFC 2047-decoded. */
  headers: Record<string, string>;
  parts: { contentType: string; transferEncoding: string; text: string }[];
}

export function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=/gi, (_m, b64: string) =>
      Buffer.from(b64, 'base64').toString('utf8'),
    );
}

export function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const joined = text.replace(/=\r\n/g, '');
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i];
    if (c === '=' && /^[0-9A-F]{2}$/.test(joined.slice(i + 1, i + 3))) {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function parseEml(raw: string): ParsedEml {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const headerLines = head.split(/\r\n(?![ \t])/).map((l) => l.replace(/\r\n[ \t]/g, ' '));
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (!(name in headers)) headers[name] = decodeEncodedWords(line.slice(colon + 1).trim());
  }
  const boundary = /boundary="([^"]+)"/.exec(headers['content-type'] ?? '')?.[1];
  const parts: ParsedEml['parts'] = [];
  if (boundary) {
    const sections = body.split(`--${boundary}`).slice(1, -1);
    for (const section of sections) {
      const trimmed = section.replace(/^\r\n/, '').replace(/\r\n$/, '');
      const end = trimmed.indexOf('\r\n\r\n');
      const partHead = trimmed.slice(0, end);
      const content = trimmed.slice(end + 4);
      const contentType = /Content-Type: ([^\r\n]+)/i.exec(partHead)?.[1] ?? '';
      const transferEncoding = /Content-Transfer-Encoding: ([^\r\n]+)/i.exec(partHead)?.[1] ?? '';
      const text = /quoted-printable/i.test(transferEncoding)
        ? decodeQuotedPrintable(content)
        : /base64/i.test(transferEncoding)
          ? Buffer.from(content, 'base64').toString('utf8')
          : content;
      parts.push({ contentType, transferEncoding, text });
    }
  }
  return { headerLines, headers, parts };
}
