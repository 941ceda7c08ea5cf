import { parseArgs } from 'node:util';
import type { Architecture } from '../../../efficientbert/space/ast';
import { linearName } from '../../../efficientbert/space/linear-names';
import { countParameters } from '../../../efficientbert/space/params';
import { ParseError, parseArchitecture, parseExpr, splitLayers } from '../../../efficientbert/space/parse';
import { PAPER_TINY, presetByName, type StudentConfig } from '../../../efficientbert/space/presets';
import { mathExpr, printArchitecture, printExpr } from '../../../efficientbert/space/print';
import { EFFICIENTBERT } from '../../../efficientbert/space/published';
import { validateExpr } from '../../../efficientbert/space/validate';
import { type Command, EXIT, UsageError } from '../command';

const USAGE = `usage: efficientbert arch <subcommand> [options]

subcommands:
  params   parameter count of an architecture
  check    validate an expression (or a ", "-joined list) against the search-space rules

Run \`efficientbert arch <subcommand> --help\` for its options.`;

const PARAMS_USAGE = `usage: efficientbert arch params [--preset tiny|small|paper] [--tiny] [--supernet | --arch '<expr>, ...'] [--json]

Exact parameter count (embedding, encoder and fit_dense; no task head).
  --preset NAME   model shape (default paper)
  --tiny          EfficientBERT_TINY: the paper preset at hidden 360 (only with --preset paper)
  --supernet      the warm-up supernet (every layer: 4 stacked full-width GELU FFNs)
  --arch TEXT     any architecture in the paper's token form, one expression per layer
                  (default: the published EfficientBERT, for 6-layer presets)
  --json          print a JSON object instead of a sentence`;

const CHECK_USAGE = `usage: efficientbert arch check '<expression>[, <expression>...]'

Prints each layer's normalized token form and math form and exits 0, or prints the first broken
rule (or syntax error) and exits 1.`;

/** 15737724 → "15.74 M". */
function millions(n: number): string {
  return `${(n / 1e6).toFixed(2)} M`;
}

/** 15737724 → "15,737,724" (no locale data needed). */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

async function params(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      preset: { type: 'string', default: 'paper' },
      tiny: { type: 'boolean', default: false },
      supernet: { type: 'boolean', default: false },
      arch: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(PARAMS_USAGE);
    return EXIT.ok;
  }
  if (values.tiny && values.preset !== 'paper') throw new UsageError('--tiny applies to --preset paper only');
  if (values.supernet && values.arch !== undefined)
    throw new UsageError('give --supernet or --arch, not both');
  const config: StudentConfig = values.tiny ? PAPER_TINY : presetOrUsage(values.preset);
  const arch = values.supernet ? 'supernet' : architectureFor(config, values.arch);
  const total = countParameters(config, arch);
  const withoutFitDense = countParameters(config, arch, { fitDense: false });
  if (values.json) {
    console.log(
      JSON.stringify({
        preset: values.tiny ? 'paper-tiny' : values.preset,
        hidden: config.hidden,
        arch: arch === 'supernet' ? 'supernet' : printArchitecture(arch),
        parameters: total,
        parametersWithoutFitDense: withoutFitDense,
        millions: Number((total / 1e6).toFixed(2)),
      }),
    );
  } else {
    console.log(
      `${millions(total)} (${grouped(total)} parameters; ${millions(withoutFitDense)} without fit_dense)`,
    );
  }
  return EXIT.ok;
}

function presetOrUsage(name: string | undefined): StudentConfig {
  try {
    return presetByName(name ?? 'paper');
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function architectureFor(config: StudentConfig, text: string | undefined): Architecture {
  const arch = text === undefined ? EFFICIENTBERT : parseOrUsage(text);
  if (arch.layers.length !== config.layers) {
    const what = text === undefined ? 'the published EfficientBERT' : 'the architecture';
    throw new UsageError(
      `${what} has ${arch.layers.length} layers but the preset has ${config.layers}` +
        (text === undefined ? ': pass --arch' : ''),
    );
  }
  return arch;
}

function parseOrUsage(text: string): Architecture {
  try {
    return parseArchitecture(text);
  } catch (err) {
    if (err instanceof ParseError) throw new UsageError(`${err.message}\n${caret(err)}`);
    throw err;
  }
}

/** The text with a caret under the error position. */
function caret(err: ParseError): string {
  return `  ${err.text}\n  ${' '.repeat(err.position)}^`;
}

async function check(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(CHECK_USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`check takes one quoted expression\n\n${CHECK_USAGE}`);
  const layers = splitLayers(positionals[0]!);
  const lines: string[] = [];
  for (const [i, text] of layers.entries()) {
    const label = layers.length > 1 ? `layer ${i + 1}: ` : '';
    let parsed: ReturnType<typeof parseExpr>;
    try {
      parsed = parseExpr(text);
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      console.log(`invalid (syntax): ${label}${err.message}\n${caret(err)}`);
      return EXIT.failure;
    }
    const result = validateExpr(parsed.expr, parsed.size?.ratio);
    if (!result.ok) {
      console.log(`invalid (${result.rule}): ${label}${result.message}`);
      return EXIT.failure;
    }
    const token = printExpr(parsed.expr, parsed.size ? linearName(parsed.size) : 'linear');
    lines.push(`${label}${token}`, `${' '.repeat(label.length)}${mathExpr(parsed.expr)}`);
  }
  console.log(lines.join('\n'));
  return EXIT.ok;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { params, check };

export const arch: Command = {
  summary: 'parameter counts and validity checks of architectures in the paper notation',
  async run(argv) {
    const [name, ...rest] = argv;
    if (!name || name === '--help' || name === '-h') {
      console.log(USAGE);
      return name ? EXIT.ok : EXIT.usage;
    }
    const sub = SUBCOMMANDS[name];
    if (!sub) throw new UsageError(`unknown arch subcommand '${name}'\n\n${USAGE}`);
    try {
      return await sub(rest);
    } catch (err) {
      // parseArgs reports unknown or malformed options as TypeErrors with a code.
      if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
        throw new UsageError((err as Error).message);
      throw err;
    }
  },
};
