import { readFileSync } from 'node:fs';
import { LineCounter, parse, parseDocument, isNode, type Document } from 'yaml';
import { ConfigError, errorMessage } from '../errors';

/** A parsed YAML or JSON file that can say on which line a field sits. */
export interface ConfigFile {
  readonly file: string;
  readonly value: unknown;
  /** `file:line` of the deepest existing node on `path`, or undefined. */
  locate(path: readonly PropertyKey[]): string | undefined;
}

/** Reads a YAML or JSON file (JSON is read as YAML 1.2, so both get line numbers). */
export function readConfigFile(file: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${errorMessage(err)}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new ConfigError(`${file}:${line}: ${e.message.split('\n')[0]}`);
  }
  return {
    file,
    value: doc.toJS(),
    locate: (path) => locateIn(doc, lineCounter, file, path),
  };
}

function locateIn(doc: Document, lc: LineCounter, file: string, path: readonly PropertyKey[]): string | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return `${file}:${lc.linePos(node.range[0]).line}`;
  }
  return undefined;
}

/** One value written as YAML on a command line (`0.2`, `[en, fr]`, `{ type: cosine }`, `text`). */
export function parseYamlValue(text: string): unknown {
  return parse(text) as unknown;
}
