/**
 * Readers for user data files: CSV and TSV (RFC 4180 quoting: a field that starts with `"` runs to
 * the next lone `"`, `""` inside it is one quote, delimiters and newlines inside it are literal) and
 * JSONL (one JSON object per line). Each record keeps the 1-based line it starts on, so every later
 * problem (a missing column, an empty text) can name the file and line a user has to fix.
 * No npm package is used: none is installed in the project, and the rules fit in one small function.
 */

export class DataFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
    /** Set when the problem is a column the mapping names but the file lacks. */
    readonly column?: string,
  ) {
    super(`${file}:${line}: ${problem}`);
    this.name = 'DataFileError';
  }
}

export interface DelimitedRow {
  /** Line the record starts on (1-based; a quoted field may span several lines). */
  readonly line: number;
  readonly fields: string[];
}

/**
 * Splits `text` into records of fields. Blank lines are skipped. A `"` in the middle of an unquoted
 * field is kept as it is (as Python's csv module does), since TSV exports often carry bare quotes.
 */
export function parseDelimited(text: string, file: string, delimiter: ',' | '\t'): DelimitedRow[] {
  const rows: DelimitedRow[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= text.length) throw new DataFileError(file, quoteLine, 'unterminated quoted field');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') {
          throw new DataFileError(
            file,
            line,
            `unexpected ${JSON.stringify(next)} after a closing quote (write a quote inside a quoted field as "")`,
          );
        }
      } else {
        while (i < text.length && text[i] !== delimiter && text[i] !== '\n') field += text[i++];
        if (field.endsWith('\r') && text[i] !== delimiter) field = field.slice(0, -1);
      }
      fields.push(field);
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: start, fields });
  }
  return rows;
}

/** Records of a delimited file keyed by its header row; every row must have the header's width. */
export function readDelimitedRecords(
  text: string,
  file: string,
  delimiter: ',' | '\t',
): { header: string[]; records: { line: number; values: Record<string, string> }[] } {
  const rows = parseDelimited(text, file, delimiter);
  if (rows.length === 0) throw new DataFileError(file, 1, 'empty file, expected a header row');
  const header = rows[0]!.fields.map((h) => h.trim());
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new DataFileError(file, rows[0]!.line, `header repeats column "${name}"`);
    seen.add(name);
  }
  const name = delimiter === ',' ? 'comma' : 'tab';
  const records = rows.slice(1).map(({ line, fields }) => {
    if (fields.length !== header.length) {
      throw new DataFileError(
        file,
        line,
        `expected ${header.length} ${name}-separated fields (as the header), found ${fields.length}`,
      );
    }
    return { line, values: Object.fromEntries(header.map((h, k) => [h, fields[k]!])) };
  });
  return { header, records };
}

/** One JSON object per non-blank line; values are kept as JSON gave them. */
export function readJsonlRecords(
  text: string,
  file: string,
): { line: number; values: Record<string, unknown> }[] {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  const records: { line: number; values: Record<string, unknown> }[] = [];
  lines.forEach((raw, k) => {
    const body = raw.trim();
    if (body === '') return;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (err) {
      throw new DataFileError(file, k + 1, `not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new DataFileError(file, k + 1, 'expected a JSON object');
    records.push({ line: k + 1, values: value as Record<string, unknown> });
  });
  return records;
}
