import { parseCommandArgs, printJson } from '../args';
import { type Command, EXIT, UsageError } from '../command';
import { CONFIG_HELP } from '../config';
import { inferenceRpc, type Message } from '../rpc';

const USAGE = `usage: efficientbert classify --model NAME [--version V] "text" ["text" ...] [--json]

Classifies texts with a served model (efficientbert.v1.Inference Classify); one line per text.
  --model NAME     a model of \`efficientbert models list\`
  --version V      (default: the newest loaded version)

exit codes: 0 ok, 1 failure (e.g. unknown model), 2 usage, 3 inference service unreachable

${CONFIG_HELP}`;

function line(text: string, r: Message): string {
  const what = r.label ? `${r.label} ${Number(r.score).toFixed(4)}` : Number(r.score).toFixed(4);
  return `${what}${r.truncated ? ' (truncated)' : ''}\t${text}`;
}

export const classifyCommand: Command = {
  summary: 'classify texts with a served model',
  async run(argv) {
    const args = parseCommandArgs(argv, { model: { type: 'string' }, version: { type: 'string' } }, USAGE);
    if (args.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    const model = args.values.model as string | undefined;
    if (!model || args.positionals.length === 0)
      throw new UsageError(`--model and at least one text are required\n\n${USAGE}`);
    const rpc = inferenceRpc(args.config());
    try {
      const reply = await rpc.unary('Classify', {
        model_name: model,
        model_version: (args.values.version as string | undefined) ?? '',
        inputs: args.positionals.map((text) => ({ text })),
      });
      if (args.json) printJson(reply);
      else
        for (const [i, r] of (reply.results as Message[]).entries())
          console.log(line(args.positionals[i]!, r));
      return EXIT.ok;
    } finally {
      rpc.close();
    }
  },
};
