import { type Command, EXIT, UsageError } from './command';

/** Subcommands load lazily: `efficientbert arch ...` must not pay for tfjs or gRPC start-up. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  arch: async () => (await import('./commands/arch')).arch,
  export: async () => (await import('./commands/export')).exportCommand,
  report: async () => (await import('./commands/report')).reportCommand,
  dev: async () => (await import('./commands/dev')).devCommand,
  search: async () => (await import('./commands/search')).searchCommand,
  models: async () => (await import('./commands/models')).modelsCommand,
  classify: async () => (await import('./commands/classify')).classifyCommand,
  bench: async () => (await import('./commands/bench')).benchCommand,
  quickstart: async () => (await import('./commands/quickstart')).quickstartCommand,
  teacher: async () => (await import('./commands/teacher')).teacherCommand,
};

function usage(): string {
  return [
    'usage: efficientbert <command> [args]',
    '',
    'commands:',
    ...Object.keys(COMMANDS).map((name) => `  ${name}`),
    '',
    'Run `efficientbert <command> --help` for its arguments.',
    '',
    'exit codes (every command): 0 ok, 1 failure (the request was refused or failed; watch: the',
    'search did not complete), 2 usage error, 3 a service is unreachable (run `efficientbert dev up`).',
    'Commands that print data take --json (one JSON document on stdout).',
    '',
    'configuration: flags > environment variables > efficientbert.config.json (or --config FILE) >',
    'defaults; `efficientbert dev --help` lists the settings.',
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
