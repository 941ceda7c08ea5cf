import { type Command, EXIT, UsageError } from './command';

/** Subcommands load lazily: `efficientbert arch ...` must not pay for tfjs or gRPC start-up. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  arch: async () => (await import('./commands/arch')).arch,
  export: async () => (await import('./commands/export')).exportCommand,
  report: async () => (await import('./commands/report')).reportCommand,
};

function usage(): string {
  return [
    'usage: efficientbert <command> [args]',
    '',
    'commands:',
    ...Object.keys(COMMANDS).map((name) => `  ${name}`),
    '',
    'Run `efficientbert <command> --help` for its arguments.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`efficientbert: unknown command '${name}'\n\n${usage()}`);
    return EXIT.usage;
  }
  return (await load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`efficientbert: ${err.message}`);
      process.exitCode = err.exitCode;
    } else {
      console.error(err);
      process.exitCode = EXIT.failure;
    }
  },
);
