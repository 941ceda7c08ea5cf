/**
 * Argument parsing shared by the commands: each command's own options plus the configuration
 * flags and --json/--help; malformed arguments become usage errors (exit 2) that show the usage.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './command';
import { type CliConfig, CONFIG_FLAGS, resolveConfig } from './config';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
  readonly json: boolean;
  readonly help: boolean;
  /** Resolved on first use, so a bad config file never breaks --help. */
  config(): CliConfig;
}

export function parseCommandArgs(argv: string[], options: Options, usage: string): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...CONFIG_FLAGS,
        ...options,
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    // parseArgs reports unknown or malformed options as TypeErrors with an ERR_PARSE_ARGS code.
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      throw new UsageError(`${(err as Error).message}\n\n${usage}`);
    throw err;
  }
  const values = parsed.values as ParsedArgs['values'];
  let config: CliConfig | undefined;
  return {
    values,
    positionals: parsed.positionals,
    json: values.json === true,
    help: values.help === true,
    config: () => (config ??= resolveConfig(values)),
  };
}

/** A non-negative integer flag, or undefined when absent. */
export function intFlag(values: ParsedArgs['values'], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got '${raw}'`);
  return n;
}

export function numberFlag(values: ParsedArgs['values'], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(n))
    throw new UsageError(`--${name} must be a number, got '${raw}'`);
  return n;
}

/** A comma-separated list flag, entries trimmed, empty ones dropped; undefined when absent. */
export function listFlag(values: ParsedArgs['values'], name: string): string[] | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  return String(raw)
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** Prints a value as one JSON document (what --json promises). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}
