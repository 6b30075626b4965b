/**
 * Where the simulator's sent emails land: kept in memory for tests and, when a folder is given, written as
 * RFC 5322 `.eml` files a person can open in a mail client. Subjects and addresses can carry text from
 * outside (quarantined mail), so every header value is stripped of CR/LF and encoded, never trusted.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Clock } from '../core/clock';
import type { CapturedEmail, Outbox } from './contract';

type Mailbox = { address: string; displayName?: string };

const CRLF = '\r\n';
/** Headers the outbox writes itself; a custom header of the same name is left out. */
const STRUCTURAL_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'sender',
  'return-path',
]);

export function createOutbox(options: { clock: Clock; directory?: string }): Outbox {
  let emails: CapturedEmail[] = [];
  let sequence = 0;

  return {
    capture(email) {
      const captured: CapturedEmail = {
        ...email,
        id: randomUUID(),
        acceptedAt: options.clock.now().toISOString(),
      };
      sequence += 1;
      if (options.directory) {
        mkdirSync(options.directory, { recursive: true });
        const file = path.resolve(options.directory, emlFileName(captured, sequence));
        writeFileSync(file, toEml(captured), { flag: 'wx' });
        captured.emlPath = file;
      }
      emails.push(captured);
      return captured;
    },
    list() {
      return [...emails];
    },
    clear() {
      emails = [];
    },
  };
}

/** `20260302T120000123Z-000001-1a2b3c4d-your-message-was-released.eml`: sorts by time, no path characters. */
function emlFileName(email: CapturedEmail, sequence: number): string {
  const stamp = email.acceptedAt.replace(/[-:.]/g, '');
  const slug = email.subject
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
    .slice(0, 48)
    .replace(/-+$/, '');
  const seq = String(sequence).padStart(6, '0');
  return `${stamp}-${seq}-${email.id.slice(0, 8)}${slug ? `-${slug}` : ''}.eml`;
}

/** Removes what could end a header line or hide text: CR, LF and other control characters. */
function clean(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\r\n]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '');
}

function isPrintableAscii(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

/**
 * RFC 2047 encoded-words (UTF-8, base64) of at most 39 bytes (64 characters), so that even the first one,
 * after its header name, fits a 78-character line; a character is never split.
 */
function encodedWords(value: string): string[] {
  const words: string[] = [];
  let chunk = '';
  for (const char of value) {
    if (Buffer.byteLength(chunk + char, 'utf8') > 39) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk || words.length === 0) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`);
}

/** An unstructured header value (Subject): as is when short plain ASCII, else folded encoded-words. */
function unstructured(name: string, value: string): string {
  const text = clean(value);
  if (isPrintableAscii(text) && name.length + 2 + text.length <= 78 && !/=\?/.test(text)) return text;
  return encodedWords(text).join(`${CRLF} `);
}

function mailbox(box: Mailbox): string {
  const address = clean(box.address).replace(/[<>,;"\s]/g, '');
  const name = box.displayName ? clean(box.displayName).trim() : '';
  if (!name) return `<${address}>`;
  const phrase = isPrintableAscii(name)
    ? `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`
    : encodedWords(name).join(' ');
  return `${phrase} <${address}>`;
}

function mailboxList(boxes: Mailbox[]): string {
  return boxes.map(mailbox).join(`,${CRLF} `);
}

/** RFC 5322 date: `Mon, 02 Mar 2026 12:00:00 +0000`. */
function rfc5322Date(iso: string): string {
  return new Date(iso).toUTCString().replace(/GMT$/, '+0000');
}

/** Quoted-printable (RFC 2045) of UTF-8 text with CRLF line breaks, lines at most 76 characters. */
function quotedPrintable(text: string): string {
  const lines = text.replace(/\r\n|\r|\n/g, '\n').split('\n');
  return lines
    .map((line) => {
      const bytes = Buffer.from(line, 'utf8');
      const tokens: string[] = [];
      bytes.forEach((byte, index) => {
        const last = index === bytes.length - 1;
        const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
        tokens.push(
          literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`,
        );
      });
      const out: string[] = [];
      let current = '';
      for (const token of tokens) {
        if (current.length + token.length > 75) {
          out.push(`${current}=`);
          current = '';
        }
        current += token;
      }
      out.push(current);
      return out.join(CRLF);
    })
    .join(CRLF);
}

/** The email as an RFC 5322 message (.eml): used by the outbox and by `qrn preview`. */
export function toEml(email: CapturedEmail): string {
  const boundary = `=_qrn_${email.id.replace(/-/g, '')}`;
  const fromBox: Mailbox = email.fromDisplayName
    ? { address: email.from, displayName: email.fromDisplayName }
    : { address: email.from };
  const headers: string[] = [`From: ${mailbox(fromBox)}`];
  if (email.to.length) headers.push(`To: ${mailboxList(email.to)}`);
  if (email.cc.length) headers.push(`Cc: ${mailboxList(email.cc)}`);
  // Kept so that a person reading the outbox sees every recipient, as a sent-items copy does.
  if (email.bcc.length) headers.push(`Bcc: ${mailboxList(email.bcc)}`);
  if (email.replyTo.length) headers.push(`Reply-To: ${mailboxList(email.replyTo)}`);
  headers.push(`Subject: ${unstructured('Subject', email.subject)}`);
  headers.push(`Date: ${rfc5322Date(email.acceptedAt)}`);
  headers.push(`Message-ID: <${email.id}@${email.channel}.simulator.invalid>`);
  headers.push(`X-Simulator-Channel: ${email.channel}`);
  if (email.operationId) headers.push(`X-Simulator-Operation-Id: ${clean(email.operationId)}`);
  for (const [name, value] of Object.entries(email.headers)) {
    // Only well-formed field names (RFC 5322 ftext) that do not shadow the headers written above.
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name) || STRUCTURAL_HEADERS.has(name.toLowerCase())) continue;
    headers.push(`${name}: ${unstructured(name, value)}`);
  }
  headers.push('MIME-Version: 1.0');
  const inline = email.inlineAttachments ?? [];
  const related = `${boundary}_related`;
  headers.push(
    inline.length > 0
      ? `Content-Type: multipart/related;${CRLF} type="multipart/alternative";${CRLF} boundary="${related}"`
      : `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
  );

  const parts: { type: string; text: string }[] = [];
  if (email.plainText !== undefined || email.html === undefined) {
    parts.push({ type: 'text/plain', text: email.plainText ?? '' });
  }
  if (email.html !== undefined) parts.push({ type: 'text/html', text: email.html });

  const body = parts
    .map((part) =>
      [
        `--${boundary}`,
        `Content-Type: ${part.type}; charset=UTF-8`,
        'Content-Transfer-Encoding: quoted-printable',
        '',
        quotedPrintable(part.text),
      ].join(CRLF),
    )
    .join(CRLF);

  if (inline.length === 0) {
    return [...headers, '', 'This is a multi-part message in MIME format.', body, `--${boundary}--`, ''].join(
      CRLF,
    );
  }
  const images = inline.map((image) =>
    [
      `--${related}`,
      `Content-Type: ${clean(image.contentType)}; name="${clean(image.name).replace(/["\\]/g, '')}"`,
      'Content-Transfer-Encoding: base64',
      `Content-ID: <${clean(image.contentId).replace(/[<>]/g, '')}>`,
      `Content-Disposition: inline; filename="${clean(image.name).replace(/["\\]/g, '')}"`,
      '',
      (image.contentInBase64.replace(/[^A-Za-z0-9+/=]/g, '').match(/.{1,76}/g) ?? []).join(CRLF),
    ].join(CRLF),
  );
  return [
    ...headers,
    '',
    'This is a multi-part message in MIME format.',
    `--${related}`,
    `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
    '',
    body,
    `--${boundary}--`,
    ...images,
    `--${related}--`,
    '',
  ].join(CRLF);
}
