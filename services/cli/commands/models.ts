import { parseCommandArgs, printJson } from '../args';
import { type Command, EXIT, UsageError } from '../command';
import { CONFIG_HELP } from '../config';
import { inferenceRpc, type Message } from '../rpc';

const USAGE = `usage: efficientbert models list [--ready] [--json] [configuration flags]

The models the inference service serves (efficientbert.v1.Inference ListModels).
  --ready   only models ready to serve

exit codes: 0 ok, 1 failure, 2 usage, 3 inference service unreachable

${CONFIG_HELP}`;

function row(m: Message): string {
  const labels = m.labels?.length ? ` labels ${m.labels.join(',')}` : '';
  return `${m.name}  v${m.version}  ${m.state}  ${m.task || '-'}${labels}${m.reason ? `  (${m.reason})` : ''}`;
}

export const modelsCommand: Command = {
  summary: 'list the models the inference service serves',
  async run(argv) {
    const args = parseCommandArgs(argv, { ready: { type: 'boolean', default: false } }, USAGE);
    const [action] = args.positionals;
    if (args.help || !action) {
      console.log(USAGE);
      return args.help ? EXIT.ok : EXIT.usage;
    }
    if (action !== 'list') throw new UsageError(`unknown models action '${action}'\n\n${USAGE}`);
    const rpc = inferenceRpc(args.config());
    try {
      const reply = await rpc.unary('ListModels', { ready_only: args.values.ready === true });
      const models: Message[] = reply.models ?? [];
      if (args.json) printJson(models);
      else console.log(models.length ? models.map(row).join('\n') : 'no models');
      return EXIT.ok;
    } finally {
      rpc.close();
    }
  },
};
