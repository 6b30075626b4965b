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

/**
 * The members of each parameter's `@allowed([...])` list, as Bicep literal text (`'User'`, `512`), by
 * parameter name. Other decorators between the list and its `param` are skipped.
 */
export function allowedValues(file: BicepFile): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const decorator = /^[ \t]*@allowed\s*\(/gm;
  let match: RegExpExecArray | null;
  while ((match = decorator.exec(file.text))) {
    const open = match.index + match[0].length - 1;
    const close = matchingBracket(file.text, open);
    const list = file.text.slice(open + 1, close);
    const values = [...list.matchAll(/'(?:[^'\\]|\\.)*'|-?\d+|\btrue\b|\bfalse\b/g)].map((m) => m[0]);
    let i = close + 1;
    for (;;) {
      while (i < file.text.length && /\s/.test(file.text[i])) i++;
      if (file.text[i] !== '@') break;
      i = matchingBracket(file.text, file.text.indexOf('(', i)) + 1;
    }
    const param = /^param\s+(\w+)/.exec(file.text.slice(i));
    if (!param) throw new Error(`${file.path}: an @allowed list decorates no param`);
    result.set(param[1], values);
  }
  return result;
}

/** `condition ? whenTrue : whenFalse` split at its top level, or undefined when it is not a ternary. */
export function splitTernary(expression: string): [string, string, string] | undefined {
  let question = -1;
  let nested = 0;
  let i = 0;
  while (i < expression.length) {
    const c = expression[i];
    if (c === "'") {
      i = endOfString(expression, i);
      continue;
    }
    if (c in CLOSER) {
      i = matchingBracket(expression, i) + 1;
      continue;
    }
    if (c === '?') {
      // `??` (coalesce) and `.?` / `?.` (safe access) are not the ternary operator.
      if (expression[i + 1] === '?' || expression[i + 1] === '.' || expression[i - 1] === '.') {
        i += expression[i + 1] === '?' ? 2 : 1;
        continue;
      }
      if (question < 0) question = i;
      else nested++;
    } else if (c === ':' && question >= 0) {
      if (nested === 0) {
        return [
          expression.slice(0, question).trim(),
          expression.slice(question + 1, i).trim(),
          expression.slice(i + 1).trim(),
        ];
      }
      nested--;
    }
    i++;
  }
  return undefined;
}

/**
 * The literal members of the type Bicep gives `expression` in `file`, or why that type is not a union
 * of literals: a literal is itself; a parameter with `@allowed` is its list; a variable, a parenthesised
 * expression and a ternary are their parts. Anything else (a function call such as `int(...)`, an
 * interpolated string, a property of a resource or module, a parameter without a list) has a plain type.
 */
export function literalMembers(
  expression: string,
  file: BicepFile,
  depth = 0,
): { members: string[] } | { wide: string } {
  const e = expression.trim();
  if (depth > 20) return { wide: `'${e}' refers to itself too deeply to read` };
  if (/^'(?:[^'\\]|\\.)*'$/.test(e)) {
    return e.includes('${') ? { wide: `${e} is an interpolated string (type string)` } : { members: [e] };
  }
  if (/^-?\d+$/.test(e) || e === 'true' || e === 'false') return { members: [e] };
  if (e.startsWith('(') && matchingBracket(e, 0) === e.length - 1) {
    return literalMembers(e.slice(1, -1), file, depth + 1);
  }
  const ternary = splitTernary(e);
  if (ternary) {
    const branches = [
      literalMembers(ternary[1], file, depth + 1),
      literalMembers(ternary[2], file, depth + 1),
    ];
    const wide = branches.find((b) => 'wide' in b);
    if (wide) return wide;
    return { members: [...new Set(branches.flatMap((b) => ('members' in b ? b.members : [])))] };
  }
  if (/^\w+$/.test(e)) {
    if (file.params().some((p) => p.name === e)) {
      const allowed = allowedValues(file).get(e);
      return allowed
        ? { members: allowed }
        : { wide: `parameter '${e}' has no @allowed list (a plain type)` };
    }
    const variable = file.vars().find((v) => v.name === e);
    if (variable?.value !== undefined) return literalMembers(variable.value, file, depth + 1);
  }
  const call = /^([\w.]+)\s*\(/.exec(e);
  if (call) return { wide: `${call[1]}(...) returns a plain type` };
  return { wide: `'${e}' is not a literal, a parameter with @allowed, or a ternary of those` };
}

export interface AllowedParamMistake {
  param: string;
  expression: string;
  problem: string;
}

/**
 * The arguments of one module call that Bicep would refuse with BCP036 because the module declares the
 * parameter with `@allowed` (its type is then the union of the listed literals) and the argument's type is
 * not within that union: a function call, a wider parameter, a literal outside the list.
 */
export function allowedParamMistakes(
  caller: BicepFile,
  passed: Map<string, string>,
  target: BicepFile,
): AllowedParamMistake[] {
  const mistakes: AllowedParamMistake[] = [];
  for (const [param, allowed] of allowedValues(target)) {
    const expression = passed.get(param);
    if (expression === undefined) continue;
    const type = literalMembers(expression, caller);
    if ('wide' in type) {
      mistakes.push({ param, expression, problem: type.wide });
      continue;
    }
    const outside = type.members.filter((m) => !allowed.includes(m));
    if (outside.length > 0) {
      mistakes.push({ param, expression, problem: `${outside.join(', ')} not in [${allowed.join(', ')}]` });
    }
  }
  return mistakes;
}

/**
 * The value of a Bicep integer expression: whole numbers, names (`value` gives each, a variable's or a
 * loaded file's member), `+ - * /` (division truncates, as Bicep's does), parentheses, `min` and `max`.
 * Anything else throws, so a formula the test cannot read is a failure, not a pass.
 */
export function evaluateInteger(expression: string, value: (name: string) => number): number {
  const tokens = expression.match(/\d+|[A-Za-z_][\w.]*|[-+*/(),]|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const token = tokens[i++];
    if (token === undefined || (expected !== undefined && token !== expected))
      throw new Error(`expected ${expected ?? 'more'} in: ${expression}`);
    return token;
  };
  const primary = (): number => {
    const token = take();
    if (/^\d+$/.test(token)) return Number(token);
    if (token === '(') {
      const inner = sum();
      take(')');
      return inner;
    }
    if (token === '-') return -primary();
    if ((token === 'min' || token === 'max') && peek() === '(') {
      take('(');
      const args = [sum()];
      while (peek() === ',') {
        take(',');
        args.push(sum());
      }
      take(')');
      return token === 'min' ? Math.min(...args) : Math.max(...args);
    }
    if (/^[A-Za-z_]/.test(token)) return value(token);
    throw new Error(`cannot evaluate '${token}' in: ${expression}`);
  };
  const product = (): number => {
    let result = primary();
    while (peek() === '*' || peek() === '/') {
      const op = take();
      const right = primary();
      result = op === '*' ? result * right : Math.trunc(result / right);
    }
    return result;
  };
  const sum = (): number => {
    let result = product();
    while (peek() === '+' || peek() === '-') {
      const op = take();
      const right = product();
      result = op === '+' ? result + right : result - right;
    }
    return result;
  };
  const result = sum();
  if (i !== tokens.length) throw new Error(`cannot evaluate past '${peek()}' in: ${expression}`);
  return result;
}
