/**
 * Report output written to a terminal (docs/architecture.md#outside-text): subjects and addresses come
 * from outside, and a terminal obeys what it is sent. C0 and C1 controls (escape sequences, a bare
 * carriage return that overwrites a line) and bidi overrides, isolates and marks (which reorder what an
 * administrator reads) are removed from every format, not only the table. Tab and line ends stay: they
 * are the formats' own. Output to a file or a pipe is left exactly as the format writes it.
 */
const FOR_TERMINAL =
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

export function terminalText(text: string): string {
  return text.replace(FOR_TERMINAL, '');
}

/** The chunks as they are, or made safe for a terminal when `toTerminal`. */
export async function* forTerminal(
  chunks: AsyncIterable<string>,
  toTerminal: boolean,
): AsyncIterable<string> {
  for await (const chunk of chunks) yield toTerminal ? terminalText(chunk) : chunk;
}
