/** A CLI subcommand: gets its own argv (after the command name) and returns the exit code. */
export interface Command {
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failure: 1, usage: 2, unavailable: 3 } as const;

/** An error whose message is meant for the user as is (no stack trace). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}
