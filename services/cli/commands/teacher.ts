import * as path from 'node:path';
import { artifactStoreFromEnv, openArtifactStore } from '../../../efficientbert/artifacts';
import { selectBackend } from '../../../efficientbert/model/backend';
import { importTeacher, TeacherImportError } from '../../../efficientbert/model/teacher-import';
import { parseCommandArgs, printJson } from '../args';
import { type Command, EXIT, UsageError } from '../command';

const USAGE = `usage: efficientbert teacher import DIR [--artifacts DIR] [--json]

Imports a Hugging Face BERT folder (config.json; model.safetensors, or pytorch_model.bin which is
converted; tokenizer.json or vocab.txt) into the artifact store and prints its ref, to pass as
\`search start --teacher REF\`. The same folder always gives the same ref.
  --artifacts DIR   the artifact store (default EFFICIENTBERT_ARTIFACTS, else .efficientbert/artifacts)

exit codes: 0 ok, 1 the folder was refused, 2 usage`;

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
    const store = root ? openArtifactStore(root) : artifactStoreFromEnv();
    // Import only loads weights to check their shapes: the plain cpu backend starts fastest.
    await selectBackend('cpu', () => {});
    try {
      const t = await importTeacher(path.resolve(dir), store);
      if (args.json)
        printJson({ ref: t.ref, architecture: t.architecture, labels: t.labels, weightsFrom: t.weightsFrom });
      else
        console.log(
          `${t.ref}\n  ${t.architecture}, ${t.config.layers} layers, hidden ${t.config.hidden}, labels ${t.labels.join(',') || '(none: the task head is trained)'}, weights from ${t.weightsFrom}`,
        );
      return EXIT.ok;
    } catch (err) {
      if (err instanceof TeacherImportError)
        throw new UsageError(`teacher import: ${err.message}`, EXIT.failure);
      throw err;
    }
  },
};
