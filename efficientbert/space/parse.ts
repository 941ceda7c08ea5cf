import {
  type Architecture,
  BINARY_OPS,
  type BinaryOp,
  type Expr,
  type LayerArch,
  type LayerSize,
  type LinearSlot,
  UNARY_OPS,
  type UnaryOp,
} from './ast';
import { GENERIC_LINEAR, linearName, sizeOfLinearName } from './linear-names';

/**
 * Parser of the paper's token form, e.g. `linear2_2(gelu(linear2_2(max(x,tanh(x)),wb1)),wb2)`.
 * Whitespace is allowed between tokens. It checks syntax only (names, arities, that `wb1`/`wb2`
 * appear only as a linear's second argument, that both linears carry the same size); the search
 * space's rules (one wb1, height, ...) are validate.ts's job.
 */
export class ParseError extends Error {
  constructor(
    readonly reason: string,
    /** 0-based character offset in `text` where the problem is. */
    readonly position: number,
    readonly text: string,
  ) {
    super(`${reason} at column ${position + 1}`);
    this.name = 'ParseError';
  }
}

/** An expression and the size its linear names carry: undefined for `linear` or no linear at all. */
export interface ParsedExpr {
  readonly expr: Expr;
  readonly size: LayerSize | undefined;
}

interface Token {
  readonly text: string;
  readonly position: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  // Sticky: each match starts where the last ended, so only trailing whitespace can stop it early.
  const re = /\s*(?:([A-Za-z_][A-Za-z0-9_]*|[(),])|(\S))/y;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[2]) throw new ParseError(`unexpected character '${m[2]}'`, re.lastIndex - 1, text);
    tokens.push({ text: m[1]!, position: re.lastIndex - m[1]!.length });
  }
  return tokens;
}

class Parser {
  private index = 0;
  /** The first linear name seen, which every other linear must repeat. */
  private linear: Token | undefined;

  constructor(
    private readonly text: string,
    private readonly tokens: readonly Token[],
  ) {}

  parse(): ParsedExpr {
    const expr = this.expr();
    const extra = this.tokens[this.index];
    if (extra) throw this.error(`unexpected '${extra.text}' after the end of the expression`, extra);
    const size = this.linear ? sizeOfLinearName(this.linear.text) : undefined;
    return { expr, size };
  }

  private expr(): Expr {
    const head = this.take('an expression');
    const name = head.text;
    if (name === 'x') return { kind: 'x' };
    if (name === 'wb1' || name === 'wb2') {
      throw this.error(`'${name}' may only be the second argument of a linear`, head);
    }
    if ((UNARY_OPS as readonly string[]).includes(name)) {
      this.expect('(', name);
      const arg = this.expr();
      this.expect(')', name);
      return { kind: 'unary', op: name as UnaryOp, arg };
    }
    if ((BINARY_OPS as readonly string[]).includes(name)) {
      this.expect('(', name);
      const left = this.expr();
      this.expect(',', name);
      const right = this.expr();
      this.expect(')', name);
      return { kind: 'binary', op: name as BinaryOp, left, right };
    }
    if (name === GENERIC_LINEAR || sizeOfLinearName(name)) {
      this.checkSameLinear(head);
      this.expect('(', name);
      const arg = this.expr();
      this.expect(',', name);
      const slot = this.take(`'wb1' or 'wb2'`);
      if (slot.text !== 'wb1' && slot.text !== 'wb2') {
        throw this.error(`the second argument of ${name} must be 'wb1' or 'wb2', not '${slot.text}'`, slot);
      }
      this.expect(')', name);
      return { kind: 'linear', slot: slot.text as LinearSlot, arg };
    }
    if (name === '(' || name === ')' || name === ',')
      throw this.error(`expected an expression, got '${name}'`, head);
    throw this.error(`unknown name '${name}'`, head);
  }

  private checkSameLinear(token: Token): void {
    if (!this.linear) {
      this.linear = token;
    } else if (this.linear.text !== token.text) {
      throw this.error(
        `${token.text} does not match the earlier ${this.linear.text}: both linears of a layer carry the same size`,
        token,
      );
    }
  }

  private take(what: string): Token {
    const token = this.tokens[this.index];
    if (!token)
      throw new ParseError(`expected ${what}, got the end of the text`, this.text.length, this.text);
    this.index++;
    return token;
  }

  private expect(punct: string, after: string): void {
    const token = this.take(`'${punct}' in ${after}(...)`);
    if (token.text !== punct)
      throw this.error(`expected '${punct}' in ${after}(...), got '${token.text}'`, token);
  }

  private error(reason: string, token: Token): ParseError {
    return new ParseError(reason, token.position, this.text);
  }
}

/** Parses one expression, with `linearX_Y` or generic `linear` names. */
export function parseExpr(text: string): ParsedExpr {
  return new Parser(text, tokenize(text)).parse();
}

/**
 * Parses one layer. The size comes from its `linearX_Y` names, or from `size` when the text uses
 * the generic `linear` (stage 2). A given size must agree with sized names.
 */
export function parseLayer(text: string, size?: LayerSize): LayerArch {
  const parsed = parseExpr(text);
  if (parsed.size && size && linearName(parsed.size) !== linearName(size)) {
    throw new ParseError(
      `the expression's ${linearName(parsed.size)} contradicts the given size ${linearName(size)}`,
      text.indexOf('linear'),
      text,
    );
  }
  const resolved = parsed.size ?? size;
  if (!resolved) {
    const reason = text.includes(GENERIC_LINEAR)
      ? `generic '${GENERIC_LINEAR}' needs the layer's size from elsewhere`
      : 'no linearX_Y to take the layer size from';
    throw new ParseError(reason, 0, text);
  }
  return { expr: parsed.expr, stack: resolved.stack, ratio: resolved.ratio };
}

/** Splits a ", "-joined architecture at its top-level commas (whitespace tolerant). */
export function splitLayers(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/**
 * Parses a ", "-joined architecture. `sizes[i]`, when given, sizes layer i written with the
 * generic `linear`. Errors name the layer and give the column within the whole text.
 */
export function parseArchitecture(text: string, sizes?: readonly LayerSize[]): Architecture {
  const layers: LayerArch[] = [];
  let offset = 0;
  for (const [i, part] of splitLayers(text).entries()) {
    const at = text.indexOf(part, offset);
    try {
      layers.push(parseLayer(part, sizes?.[i]));
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      throw new ParseError(`layer ${i + 1}: ${err.reason}`, at + err.position, text);
    }
    offset = at + part.length;
  }
  return { layers };
}
