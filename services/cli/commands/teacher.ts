import * as path from 'node:path';
import { openArtifactStore } from '../../../efficientbert/artifacts';
import { selectBackend } from '../../../efficientbert/model/backend';
import { importTeacher, TeacherImportError } from '../../../efficientbert/model/teacher-import';
import { parseCommandArgs, printJson } from '../args';
import { type Command, EXIT, UsageError } from '../command';
import { CONFIG_HELP } from '../config';
import { searchRpc } from '../rpc';
import { uploadTeacherDir } from '../search/upload-teacher';

const USAGE = `usage: efficientbert teacher import DIR [--artifacts STORE] [--json] [configuration flags]

Imports a Hugging Face BERT folder (config.json; model.safetensors or pytorch_model.bin, either
of them sharded with its index.json; tokenizer.json or vocab.txt) and prints its ref, to pass as \`search start --teacher
REF\` (or import and start at once: \`search start --teacher-dir DIR\`). The folder is uploaded to
the search service (Search.ImportTeacher), which stores it where the workers read it. The same
folder always gives the same ref.
  --artifacts STORE   import into this local artifact store instead, without the search service

exit codes: 0 ok, 1 the folder was refused (or the service refused the call), 2 usage, 3 search
service unreachable

${CONFIG_HELP}`;

interface ImportedSummary {
  readonly ref: string;
  readonly architecture: string;
  readonly labels: readonly string[];
  readonly layers: number;
  readonly hidden: number;
  readonly weightsFrom: string;
}

/** The serverless import: checks and stores the folder in a local store, as the gateway would. */
async function importLocally(dir: string, root: string): Promise<ImportedSummary> {
  // Import only loads weights to check their shapes: the plain cpu backend starts fastest.
  await selectBackend('cpu', () => {});
  try {
    const t = await importTeacher(path.resolve(dir), openArtifactStore(root));
    const { layers, hidden } = t.config;
    return {
      ref: t.ref,
      architecture: t.architecture,
      labels: t.labels,
      layers,
      hidden,
      weightsFrom: t.weightsFrom,
    };
  } catch (err) {
    if (err instanceof TeacherImportError)
      throw new UsageError(`teacher import: ${err.message}`, EXIT.failure);
    throw err;
  }
}

export const teacherCommand: Command = {
  summary: 'import a Hugging Face BERT as a distillation teacher',
  async run(argv) {
    const args = parseCommandArgs(argv, { artifacts: { type: 'string' } }, USAGE);
    const [action, dir, ...extra] = args.positionals;
    if (args.help || !action) {
      console.log(USAGE);
      return args.help ? EXIT.ok : EXIT.usage;
    }
    if (action !== 'import') throw new UsageError(`unknown teacher action '${action}'\n\n${USAGE}`);
    if (!dir || extra.length > 0) throw new UsageError(`teacher import takes one folder\n\n${USAGE}`);
    const root = args.values.artifacts as string | undefined;
    let t: ImportedSummary;
    if (root) t = await importLocally(dir, root);
    else {
      const rpc = searchRpc(args.config());
      try {
        const reply = await uploadTeacherDir(rpc, dir);
        t = {
          ref: reply.ref,
          architecture: reply.architecture,
          labels: reply.labels,
          layers: reply.layers,
          hidden: reply.hidden,
          weightsFrom: reply.weights_from,
        };
      } finally {
        rpc.close();
      }
    }
    if (args.json)
      printJson({ ref: t.ref, architecture: t.architecture, labels: t.labels, weightsFrom: t.weightsFrom });
    else
      console.log(
        `${t.ref}\n  ${t.architecture}, ${t.layers} layers, hidden ${t.hidden}, labels ${t.labels.join(',') || '(none: the task head is trained)'}, weights from ${t.weightsFrom}`,
      );
    return EXIT.ok;
  },
};
