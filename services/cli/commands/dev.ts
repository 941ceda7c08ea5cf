import { type ComponentState, stackDown, stackStatus, stackUp, temporalUiUrl } from '../../dev/stack';
import { parseCommandArgs, printJson } from '../args';
import { type Command, EXIT, UsageError } from '../command';
import { type CliConfig, CONFIG_HELP } from '../config';

const USAGE = `usage: efficientbert dev up|down|status [--json] [configuration flags]

The local stack, detached, state (pid files, logs, SQLite, artifacts, models) under --state-dir:
Temporal dev server, worker, Search gateway, inference server.
  up       start what is not running; reuse what is healthy, restart what is dead or was started
           with other settings (e.g. another --trainer); never fails on its own busy ports
  down     stop them (SIGTERM, then SIGKILL after 15 s)
  status   each component's pid, address and health

exit codes: 0 ok (status: all healthy), 1 failure, 2 usage, 3 (status) something not healthy

${CONFIG_HELP}`;

function table(states: readonly ComponentState[]): string {
  const rows = states.map((c) => [
    c.name,
    c.pid ? String(c.pid) : '-',
    c.address,
    c.healthy ? 'healthy' : 'DOWN',
    c.action ?? '',
  ]);
  const header = ['component', 'pid', 'address', 'health', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const devCommand: Command = {
  summary: 'start, stop or inspect the local stack (Temporal, worker, search, inference)',
  async run(argv) {
    const args = parseCommandArgs(argv, {}, USAGE);
    const [action] = args.positionals;
    if (args.help || !action) {
      console.log(USAGE);
      return args.help ? EXIT.ok : EXIT.usage;
    }
    const config: CliConfig = args.config();
    const ui = temporalUiUrl(config);
    if (action === 'up') {
      if (!args.json) console.error(`starting the local stack (state in ${config.stateDir}) ...`);
      let states: ComponentState[];
      try {
        states = await stackUp(config);
      } catch (err) {
        throw new UsageError(`dev up failed: ${(err as Error).message}`, EXIT.failure);
      }
      if (args.json) printJson({ components: states, temporalUi: ui, stateDir: config.stateDir });
      else console.log(`${table(states)}\n\nTemporal UI: ${ui}\nlogs: ${config.stateDir}/logs`);
      return EXIT.ok;
    }
    if (action === 'status') {
      const states = await stackStatus(config);
      const healthy = states.every((c) => c.healthy);
      if (args.json) printJson({ components: states, healthy, temporalUi: ui });
      else console.log(`${table(states)}\n\nTemporal UI: ${ui}`);
      return healthy ? EXIT.ok : EXIT.unavailable;
    }
    if (action === 'down') {
      const stopped = await stackDown(config);
      if (args.json) printJson({ stopped });
      else
        console.log(
          stopped.length ? stopped.map((s) => `${s.name}: ${s.how}`).join('\n') : 'nothing was running',
        );
      return EXIT.ok;
    }
    throw new UsageError(`unknown dev action '${action}' (up, down, status)\n\n${USAGE}`);
  },
};
