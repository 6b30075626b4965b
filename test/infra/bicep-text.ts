/**
 * A small reader of Bicep and azure.yaml as text, enough for the infrastructure consistency test.
 * The Bicep compiler cannot run here (it downloads itself and the registry modules), so the test reads
 * declarations, object literals and their top-level entries, honouring strings and comments.
 */

/** Removes `//` and `/* *\/` comments outside strings, keeping line breaks so positions stay readable. */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      const stop = end < 0 ? text.length : end + 3;
      out += text.slice(i, stop);
      i = stop;
    } else if (text[i] === "'") {
      const stop = endOfString(text, i);
      out += text.slice(i, stop);
      i = stop;
    } else if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, '');
      i = stop;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** Index just past the single-quoted string starting at `start` (Bicep escapes with a backslash). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === "'") return i + 1;
    else i++;
  }
  return text.length;
}

const CLOSER: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Index of the bracket closing the one at `open`, skipping strings and nested brackets. */
export function matchingBracket(text: string, open: number): number {
  const stack: string[] = [];
  let i = open;
  while (i < text.length) {
    const c = text[i];
    if (text.startsWith("'''", i)) {
      const end = text.indexOf("'''", i + 3);
      i = end < 0 ? text.length : end + 3;
      continue;
    }
    if (c === "'") {
      i = endOfString(text, i);
      continue;
    }
    if (c in CLOSER) stack.push(CLOSER[c]);
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced '${c}' at ${i}`);
      if (stack.length === 0) return i;
    }
    i++;
  }
  throw new Error(`no closing bracket for the one at ${open}`);
}

/** The text between the braces of the first `{` at or after `from`. */
export function bodyAt(text: string, from: number): string {
  const open = text.indexOf('{', from);
  if (open < 0) throw new Error(`no object after ${from}`);
  return text.slice(open + 1, matchingBracket(text, open));
}

/**
 * The top-level entries `key: value` of an object body (without its braces), in order. Entries are
 * separated by line breaks or commas; a value runs on across lines while brackets are open.
 */
export function entries(body: string): Map<string, string> {
  const result = new Map<string, string>();
  let i = 0;
  while (i < body.length) {
    while (i < body.length && /[\s,]/.test(body[i])) i++;
    if (i >= body.length) break;
    const key = /^(?:'([^']*)'|([A-Za-z_][\w-]*))\s*:/.exec(body.slice(i));
    if (!key) throw new Error(`cannot read an entry at: ${body.slice(i, i + 60)}`);
    i += key[0].length;
    let j = i;
    while (j < body.length && body[j] !== '\n' && body[j] !== ',') {
      if (body.startsWith("'''", j)) {
        const end = body.indexOf("'''", j + 3);
        j = end < 0 ? body.length : end + 3;
      } else if (body[j] === "'") j = endOfString(body, j);
      else if (body[j] in CLOSER) j = matchingBracket(body, j) + 1;
      else j++;
    }
    result.set(key[1] ?? key[2], body.slice(i, j).trim());
    i = j;
  }
  return result;
}

export interface Declaration {
  name: string;
  /** The type of a param or output, the type string of a resource, the path of a module. */
  type: string;
  /** Text after `=` up to the end of the declaration (params and outputs), or the body (resources, modules). */
  value?: string;
  body?: string;
}

function declarations(kind: 'param' | 'output' | 'var' | 'resource' | 'module', text: string): Declaration[] {
  const found: Declaration[] = [];
  const pattern = new RegExp(`^${kind}\\s+(\\w+)\\s+('[^']*'|[\\w.]+)?`, 'gm');
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text))) {
    const name = match[1];
    const type = (match[2] ?? '').replace(/^'|'$/g, '');
    const rest = text.slice(match.index + match[0].length);
    if (kind === 'resource' || kind === 'module') {
      found.push({ name, type, body: bodyAt(text, match.index + match[0].length) });
    } else {
      const equals = /^[^\n=]*=\s*/.exec(rest);
      if (!equals) {
        found.push({ name, type });
        continue;
      }
      const start = match.index + match[0].length + equals[0].length;
      let end = start;
      while (end < text.length && text[end] !== '\n') {
        if (text[end] === "'") end = endOfString(text, end);
        else if (text[end] in CLOSER) end = matchingBracket(text, end) + 1;
        else end++;
      }
      found.push({ name, type, value: text.slice(start, end).trim() });
    }
  }
  return found;
}

/** A Bicep file read as declarations (comments removed). */
export class BicepFile {
  readonly text: string;
  constructor(
    readonly path: string,
    source: string,
  ) {
    this.text = stripComments(source);
  }
  params(): Declaration[] {
    return declarations('param', this.text);
  }
  outputs(): Declaration[] {
    return declarations('output', this.text);
  }
  vars(): Declaration[] {
    return declarations('var', this.text);
  }
  resources(): Declaration[] {
    return declarations('resource', this.text);
  }
  modules(): Declaration[] {
    return declarations('module', this.text);
  }
  /** The top-level entries of `var <name> = { ... }`. */
  objectVar(name: string): Map<string, string> {
    const found = new RegExp(`^var\\s+${name}\\s*=\\s*\\{`, 'm').exec(this.text);
    if (!found) throw new Error(`${this.path}: no object variable '${name}'`);
    return entries(bodyAt(this.text, found.index));
  }
}

/** A nested value of an entry holding an object literal, for example `params` of a module. */
export function objectEntry(body: string, key: string): Map<string, string> | undefined {
  const value = entries(body).get(key);
  if (value === undefined || !value.startsWith('{')) return undefined;
  return entries(value.slice(1, matchingBracket(value, 0)));
}

export type YamlValue = string | { [key: string]: YamlValue };

/**
 * Reads the subset of YAML azure.yaml uses: nested mappings by indentation, plain or quoted scalars,
 * comments. Anything else (sequences, flow style, anchors, multi-line scalars, tabs) is refused, so
 * the file stays simple enough to be read with certainty.
 */
export function readSimpleYaml(text: string): { [key: string]: YamlValue } {
  const root: { [key: string]: YamlValue } = {};
  const stack: { indent: number; map: { [key: string]: YamlValue } }[] = [{ indent: -1, map: root }];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const where = `azure.yaml line ${index + 1}`;
    if (/\t/.test(raw)) throw new Error(`${where}: tabs are not YAML indentation`);
    const line = raw.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, '');
    if (line.trim() === '') return;
    const indent = line.length - line.trimStart().length;
    const match = /^([A-Za-z_][\w.-]*):(?:\s+(.*))?$/.exec(line.trim());
    if (!match) throw new Error(`${where}: not a 'key: value' line: ${raw.trim()}`);
    while (stack.length > 1 && indent <= stack[stack.length - 1].indent) stack.pop();
    const parent = stack[stack.length - 1];
    const [, key, rawValue] = match;
    if (key in parent.map) throw new Error(`${where}: duplicate key '${key}'`);
    if (rawValue === undefined || rawValue === '') {
      const child: { [key: string]: YamlValue } = {};
      parent.map[key] = child;
      stack.push({ indent, map: child });
      return;
    }
    if (/^[[{&*!|>-]/.test(rawValue)) throw new Error(`${where}: only plain scalars are supported`);
    const quoted = /^(['"])(.*)\1$/.exec(rawValue);
    parent.map[key] = quoted ? quoted[2] : rawValue;
  });
  return root;
}
