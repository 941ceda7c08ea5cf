import {
  openArtifactStore,
  UnpublishedModelError,
  withdrawModelVersion,
} from '../../../efficientbert/artifacts';
import { type ParsedArgs, parseCommandArgs, printJson } from '../args';
import { type Command, EXIT, UsageError } from '../command';
import { CONFIG_HELP } from '../config';
import { EVALUATE_FLAGS, EVALUATE_USAGE, evaluateModel } from '../models/evaluate';
import { inferenceRpc, type Message } from '../rpc';

const USAGE = `usage: efficientbert models list [--ready] [--json] [configuration flags]
       efficientbert models evaluate NAME --data FILE [--version V] [column flags] [--json]
       efficientbert models withdraw NAME VERSION --reason TEXT [--artifacts STORE] [--json]

list: the models the inference service serves (efficientbert.v1.Inference ListModels).
  --ready   only models ready to serve
${EVALUATE_USAGE}
withdraw: takes a version published to the artifact store's model repository out of service.
  Every inference server reading that store (--repository store) stops serving it on its next
  poll, serving the model's previous version instead, and deletes its cached package; the version
  is never published again. Written to the store directly, as the workers do.
  --reason TEXT     why, kept in the store's log and in the servers' logs
  --artifacts STORE the artifact store (a directory or s3://bucket/prefix; default
                    $EFFICIENTBERT_ARTIFACTS, else the artifact store setting below)

exit codes: 0 ok, 1 failure (evaluate: unknown model, a bad data file; withdraw: the version was
never published), 2 usage, 3 inference service unreachable

${CONFIG_HELP}`;

function row(m: Message): string {
  const labels = m.labels?.length ? ` labels ${m.labels.join(',')}` : '';
  return `${m.name}  v${m.version}  ${m.state}  ${m.task || '-'}${labels}${m.reason ? `  (${m.reason})` : ''}`;
}

async function withdraw(args: ParsedArgs): Promise<number> {
  const [, name, versionText, ...extra] = args.positionals;
  if (!name || !versionText || extra.length > 0)
    throw new UsageError(`models withdraw takes a model name and a version\n\n${USAGE}`);
  if (!/^[0-9]+$/.test(versionText))
    throw new UsageError(`models withdraw: version must be a non-negative integer, got '${versionText}'`);
  const reason = (args.values.reason as string | undefined)?.trim();
  if (!reason) throw new UsageError(`models withdraw: --reason is required (it is kept in the store's log)`);
  const location =
    (args.values.artifacts as string | undefined) ??
    process.env.EFFICIENTBERT_ARTIFACTS ??
    args.config().artifactsDir;
  const version = Number(versionText);
  let withdrawn: boolean;
  try {
    withdrawn = await withdrawModelVersion(openArtifactStore(location), name, version, reason);
  } catch (err) {
    if (err instanceof UnpublishedModelError)
      throw new UsageError(`models withdraw: ${err.message} (${location})`, EXIT.failure);
    throw err;
  }
  if (args.json) printJson({ name, version, withdrawn, store: location });
  else
    console.log(
      withdrawn
        ? `${name} version ${version} withdrawn from ${location}; servers stop serving it on their next poll`
        : `${name} version ${version} was already withdrawn from ${location}`,
    );
  return EXIT.ok;
}

export const modelsCommand: Command = {
  summary:
    'list the models the inference service serves; score one on a labelled file; withdraw a published version',
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        ready: { type: 'boolean', default: false },
        reason: { type: 'string' },
        artifacts: { type: 'string' },
        ...EVALUATE_FLAGS,
      },
      USAGE,
    );
    const [action] = args.positionals;
    if (args.help || !action) {
      console.log(USAGE);
      return args.help ? EXIT.ok : EXIT.usage;
    }
    if (action === 'withdraw') return withdraw(args);
    if (action !== 'list' && action !== 'evaluate')
      throw new UsageError(`unknown models action '${action}'\n\n${USAGE}`);
    const rpc = inferenceRpc(args.config());
    try {
      if (action === 'evaluate') return await evaluateModel(args, rpc);
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
