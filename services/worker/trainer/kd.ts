/**
 * The real trainer (EFFICIENTBERT_TRAINER=kd): runs one training of a search with tfjs, in the
 * trainer child process. Which training follows from the candidate's stage (see
 * efficientbert/distill/trainings/); this module only moves things between the artifact
 * store and the library: the teacher and supernet weights in, checkpoints and results out.
 *
 * A checkpoint is a JSON record (what the activity heartbeats) pointing at a directory artifact of
 * train()'s checkpoint; a retried attempt restores it and goes on from the same step, with the
 * same result as an uninterrupted run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ArtifactStore, openArtifactStore } from '../../../efficientbert/artifacts';
import { Prng } from '../../../efficientbert/core/prng';
import { glueCatalog, withUserTask } from '../../../efficientbert/data/tasks';
import { WordPieceTokenizer } from '../../../efficientbert/data/tokenizer';
import { readUserTask } from '../../../efficientbert/data/user-data';
import { type Phase, type PhasePosition, runPhases, totalSteps } from '../../../efficientbert/distill/phases';
import {
  fetchTeacherTokenizer,
  namedTeacherLabels,
  teacherFolderOf,
} from '../../../efficientbert/distill/stored-teacher';
import {
  isTeacherSetManifest,
  kdTasksOf,
  type TeacherSet,
  teacherSet,
  teacherSetManifest,
} from '../../../efficientbert/distill/teacher-set';
import type { TrainResult } from '../../../efficientbert/distill/trainer';
import { headsFor, type TaskData, tokenizerDirOf } from '../../../efficientbert/distill/trainings/common';
import { finalPhases, finalScores } from '../../../efficientbert/distill/trainings/final';
import {
  type ProxyScore,
  proxyData,
  proxyPhases,
  proxyReward,
} from '../../../efficientbert/distill/trainings/proxy';
import {
  sharedScore,
  sharingPhases,
  subnetworkSampler,
} from '../../../efficientbert/distill/trainings/sharing';
import {
  supernetArchitecture,
  teacherConfigFor,
  warmupPhases,
  warmupTeachers,
} from '../../../efficientbert/distill/trainings/warmup';
import { exportStudentPackage } from '../../../efficientbert/export/model-package';
import { PLAIN } from '../../../efficientbert/export/options';
import { weightMapOf } from '../../../efficientbert/export/weight-source';
import { selectBackend } from '../../../efficientbert/model/backend';
import { readSafetensors, writeSafetensors } from '../../../efficientbert/model/safetensors';
import { StudentModel } from '../../../efficientbert/model/student-model';
import { copyEncoder, loadTeacher, saveTeacher, Teacher } from '../../../efficientbert/model/teacher';
import type { MethodSettings } from '../../../efficientbert/search';
import type { Architecture } from '../../../efficientbert/space/ast';
import { ParseError, parseArchitecture } from '../../../efficientbert/space/parse';
import { PRESETS, type StudentConfig } from '../../../efficientbert/space/presets';
import { type Trainer, TrainerError, type TrainerJob, type TrainerResult } from './protocol';

/** The data folder beside the repository (GLUE + the BERT tokenizer), unless the spec names one. */
const DEFAULT_DATA = path.resolve(__dirname, '../../../shared/data');

export interface KdCheckpoint {
  readonly kind: 'efficientbert.kd-checkpoint';
  readonly candidateId: string;
  readonly arch: string;
  readonly seed: number;
  readonly phase: number;
  readonly phaseStep: number;
  /** Steps done over all phases (the activity resumes from the highest). */
  readonly step: number;
  readonly dirRef: string;
  /** Warm-up: the teachers stored so far (a teacher is stored once its phase is done). */
  readonly teachers?: StoredTeachers;
}

/** Teacher folders a warm-up has stored: the general one (when trained) and task teachers. */
interface StoredTeachers {
  readonly general?: string;
  readonly tasks: Readonly<Record<string, string>>;
}

/** A model repository name for a search's model of `task`: `<searchId>-<task>`, made safe. */
export function modelName(searchId: string, task: string): string {
  return `${searchId}-${task}`.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
}

/**
 * The search's tokenizer folder: its teacher's (every stored teacher folder carries one: an
 * imported teacher its own, a teacher the warm-up trained the data folder's), or the data
 * folder's while there is no teacher yet (a warm-up training its teacher from scratch).
 */
async function searchTokenizerDir(store: ArtifactStore, job: TrainerJob, dataDir: string, work: string) {
  if (job.teacherRef) {
    const dest = path.join(work, 'tokenizer');
    try {
      await fetchTeacherTokenizer(store, await teacherFolderOf(store, job.teacherRef), dest);
    } catch (err) {
      throw new TrainerError('runtime', `the search's teacher ${job.teacherRef}: ${(err as Error).message}`);
    }
    return dest;
  }
  const dir = tokenizerDirOf(dataDir);
  if (!fs.existsSync(dir))
    throw new TrainerError('runtime', `no tokenizer at ${dir}: is ${dataDir} the data folder?`);
  return dir;
}

class Session {
  readonly method: MethodSettings;
  /** GLUE from the data folder; the user's task is added by loadUserData(). */
  data: TaskData;
  readonly rng: Prng;
  resume: PhasePosition | undefined;
  record: KdCheckpoint | undefined;
  private readonly loadedTeachers = new Map<string, Promise<Teacher>>();

  static async open(job: TrainerJob, emit: Parameters<Trainer>[1]): Promise<Session> {
    const store = openArtifactStore(job.artifactsRoot);
    const dataDir = path.resolve(job.dataDir ?? process.env.EFFICIENTBERT_DATA ?? DEFAULT_DATA);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), `efficientbert-${job.candidate.id}-`));
    try {
      return new Session(
        job,
        emit,
        store,
        work,
        dataDir,
        await searchTokenizerDir(store, job, dataDir, work),
      );
    } catch (err) {
      fs.rmSync(work, { recursive: true, force: true });
      throw err;
    }
  }

  private constructor(
    readonly job: TrainerJob,
    readonly emit: Parameters<Trainer>[1],
    readonly store: ArtifactStore,
    readonly work: string,
    dataDir: string,
    readonly tokenizerDir: string,
  ) {
    this.method = job.method;
    this.data = {
      tasks: glueCatalog(path.join(dataDir, 'glue')),
      tokenizer: WordPieceTokenizer.fromDirectory(tokenizerDir),
      maxSeq: PRESETS[job.preset].maxSeq,
    };
    this.rng = Prng.fromSeed(job.candidate.seed);
  }

  get c() {
    return this.job.candidate;
  }

  config(teacherHidden: number): StudentConfig {
    return { ...PRESETS[this.job.preset], vocabSize: this.data.tokenizer.vocabSize, teacherHidden };
  }

  /**
   * The search's own dataset, fetched from the artifact store (the worker needs no copy of the
   * user's files). The gateway checked it before the search started; a problem here means the
   * stored bytes changed, which content addressing rules out, so it is a runtime error.
   */
  async loadUserData(): Promise<void> {
    const spec = this.job.data;
    if (!spec) return;
    const [train, dev] = await Promise.all([
      this.store.getBytes(spec.train.ref),
      this.store.getBytes(spec.dev.ref),
    ]);
    const task = readUserTask(spec, train.toString('utf8'), dev.toString('utf8'));
    this.data = { ...this.data, tasks: withUserTask(this.data.tasks, task) };
  }

  async restore(): Promise<void> {
    if (!this.job.resume) return;
    const rec = await this.store.getJson<KdCheckpoint>(this.job.resume.checkpointRef);
    if (
      rec.kind !== 'efficientbert.kd-checkpoint' ||
      rec.candidateId !== this.c.id ||
      rec.seed !== this.c.seed
    ) {
      throw new TrainerError(
        'runtime',
        `checkpoint ${this.job.resume.checkpointRef} belongs to another training`,
      );
    }
    const dir = path.join(this.work, 'resume');
    await this.store.getDir(rec.dirRef, dir);
    this.record = rec;
    this.resume = { phase: rec.phase, phaseStep: rec.phaseStep, step: rec.step, dir };
  }

  /** A teacher folder; each is loaded once per training (the general one often serves a task too). */
  async teacher(ref: string): Promise<Teacher> {
    let loaded = this.loadedTeachers.get(ref);
    if (!loaded) {
      loaded = (async () => {
        const dir = path.join(this.work, `teacher-${ref.slice(7, 19)}`);
        await this.store.getDir(ref, dir);
        return loadTeacher(dir);
      })();
      this.loadedTeachers.set(ref, loaded);
    }
    return loaded;
  }

  /**
   * What the search's `teacherRef` names: a teacher set (what a warm-up stores), or a single
   * teacher folder (given by the user), which is the general teacher and no task's own. Only the
   * task teachers of `needed` are loaded: a `paper` set holds eight BERT-bases, a proxy needs one.
   */
  async givenTeachers(
    ref: string | undefined,
    needed: readonly string[],
  ): Promise<{
    general: Teacher;
    generalRef: string;
    tasks?: Map<string, { ref: string; teacher: Teacher }>;
  }> {
    if (!ref) throw new TrainerError('runtime', `${this.c.id} needs a teacher and the search has none`);
    const stored = await this.store.getJson(ref);
    if (!isTeacherSetManifest(stored)) return { general: await this.teacher(ref), generalRef: ref };
    const loaded = new Map<string, { ref: string; teacher: Teacher }>();
    for (const [task, taskRef] of Object.entries(stored.tasks))
      if (needed.includes(task)) loaded.set(task, { ref: taskRef, teacher: await this.teacher(taskRef) });
    return { general: await this.teacher(stored.general), generalRef: stored.general, tasks: loaded };
  }

  /**
   * The labels `task`'s model answers with: its teacher's id2label when that teacher was fine-tuned
   * with named labels and is as wide as the task (a user's teacher used as it is), else the task's.
   */
  async servedLabels(task: string): Promise<readonly string[]> {
    const t = this.data.tasks.definition(task);
    if (t.kind === 'regression' || !this.job.teacherRef) return t.labels;
    const folder = await teacherFolderOf(this.store, this.job.teacherRef, task);
    const named = await namedTeacherLabels(this.store, folder);
    return named.length === t.labels.length ? named : t.labels;
  }

  /** The teachers a training after the warm-up distils from: the general one and those of `tasks`. */
  async teachers(ref: string | undefined, tasks: readonly string[]): Promise<TeacherSet> {
    const given = await this.givenTeachers(ref, tasks);
    const perTask = new Map([...(given.tasks ?? [])].map(([task, t]) => [task, t.teacher]));
    return teacherSet(given.general, perTask, this.data.tasks);
  }

  /** A freshly initialized supernet distilling from a teacher `teacherHidden` wide. */
  freshSupernet(teacherHidden: number): StudentModel {
    return StudentModel.supernet(
      this.config(teacherHidden),
      headsFor(this.method, this.data.tasks),
      this.rng.fork(),
    );
  }

  /**
   * The supernet stored at `ref` (a safetensors file artifact). Its fit_dense kernel gives the
   * teacher's width, so scoring needs no teacher at all.
   */
  async storedSupernet(ref: string | undefined): Promise<StudentModel> {
    if (!ref) throw new TrainerError('runtime', `${this.c.id} needs a supernet and the search has none`);
    const arrays = await this.readWeights(ref);
    const teacherHidden = arrays.get('fit_dense.kernel')?.shape[1];
    if (teacherHidden === undefined)
      throw new TrainerError('runtime', `${ref} is not a supernet: no fit_dense`);
    const model = this.freshSupernet(teacherHidden);
    model.params.assignArrays(arrays);
    return model;
  }

  /** A candidate's own copy of its weights, sliced out of the supernet stored at `ref`. */
  async storedCandidate(ref: string | undefined, arch: Architecture): Promise<StudentModel> {
    const supernet = await this.storedSupernet(ref);
    const candidate = StudentModel.fromSupernet(supernet, arch);
    supernet.dispose();
    return candidate;
  }

  async readWeights(ref: string) {
    const file = path.join(this.work, `weights-${ref.slice(7, 19)}.safetensors`);
    await this.store.getFile(ref, file);
    const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, e] of readSafetensors(file)) {
      if (!e.data) throw new TrainerError('runtime', `${ref}: tensor '${name}' is not float`);
      arrays.set(name, { shape: [...e.shape], data: e.data });
    }
    return arrays;
  }

  async writeWeights(model: StudentModel): Promise<string> {
    const file = path.join(this.work, 'weights.safetensors');
    writeSafetensors(file, model.params.toArrays());
    return this.store.putFile(file);
  }

  arch(text: string): Architecture {
    try {
      return parseArchitecture(text);
    } catch (err) {
      if (err instanceof ParseError) throw new TrainerError('invalid-architecture', err.message);
      throw err;
    }
  }

  /**
   * Runs the phases; returns the steps over all of them, the last step's loss, and the best
   * evaluation of the last phase (where it evaluates).
   */
  async run(
    phases: Phase[],
    extra: () => Partial<KdCheckpoint> = () => ({}),
  ): Promise<{ steps: number; loss: number; best: TrainResult['best'] }> {
    const total = totalSteps(phases);
    const results = await runPhases(phases, {
      workDir: this.work,
      checkpointEvery: this.job.checkpointEvery,
      ...(this.resume ? { resume: this.resume } : {}),
      onCheckpoint: async (pos) => {
        const record: KdCheckpoint = {
          kind: 'efficientbert.kd-checkpoint',
          candidateId: this.c.id,
          arch: this.c.arch,
          seed: this.c.seed,
          phase: pos.phase,
          phaseStep: pos.phaseStep,
          step: pos.step,
          dirRef: await this.store.putDir(pos.dir),
          ...extra(),
        };
        const checkpointRef = await this.store.putJson(record);
        this.emit({ type: 'progress', step: pos.step, totalSteps: total, checkpointRef });
      },
      onProgress: (step) => this.emit({ type: 'progress', step, totalSteps: total }),
    });
    let loss = Number.NaN;
    let best: TrainResult['best'] = null;
    for (const [name, r] of results) {
      const last = r.losses[r.losses.length - 1];
      if (last !== undefined && !Number.isFinite(last))
        throw new TrainerError('nan-loss', `${this.c.id}: ${name} diverged (loss ${last})`);
      if (last !== undefined) loss = last;
      best = r.best;
    }
    return { steps: total, loss, best };
  }

  close(): void {
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}

async function warmup(s: Session): Promise<TrainerResult> {
  const { job, method } = s;
  const base = PRESETS[job.preset];
  const given = job.teacherRef ? await s.givenTeachers(job.teacherRef, kdTasksOf(method)) : undefined;
  const general =
    given?.general ??
    Teacher.random(
      teacherConfigFor(
        method,
        s.data.tasks,
        s.data.tokenizer.vocabSize,
        base.teacherHidden,
        base.maxPositions,
      ),
      s.rng.fork(),
    );
  const supernet = s.freshSupernet(general.config.hidden);
  const phaseRng = s.rng.fork();
  const teachers = warmupTeachers({
    general,
    trainGeneral: !given,
    ...(given?.tasks ? { given: new Map([...given.tasks].map(([t, g]) => [t, g.teacher])) } : {}),
    method,
    data: s.data,
    rng: s.rng.fork(),
  });
  // Only a resumed warm-up has a record: it takes the teachers it already stored, and a task
  // teacher whose phase had not begun starts from the stored general encoder, as it would have.
  let stored: StoredTeachers = s.record?.teachers ?? { tasks: {} };
  if (stored.general) {
    general.params.assignArrays((await s.teacher(stored.general)).params.toArrays());
    for (const t of teachers.toFineTune.values()) copyEncoder(general, t);
  }
  for (const [task, ref] of Object.entries(stored.tasks)) {
    const t = teachers.toFineTune.get(task);
    if (t) t.params.assignArrays((await s.teacher(ref)).params.toArrays());
  }
  // Each stored teacher names its head's outputs with its task's labels: the general one trained
  // here learnt the warm-up task.
  const storeTeacher = async (teacher: Teacher, name: string, task: string) => {
    const dir = path.join(s.work, `teacher-out-${name}`);
    saveTeacher(teacher, dir, s.tokenizerDir, s.data.tasks.definition(task).labels);
    return s.store.putDir(dir);
  };
  const teacherDone = async (task: string | undefined) => {
    if (task === undefined) {
      for (const t of teachers.toFineTune.values()) copyEncoder(general, t);
      stored = { ...stored, general: await storeTeacher(general, 'general', method.warmup.task) };
    } else {
      stored = {
        ...stored,
        tasks: { ...stored.tasks, [task]: await storeTeacher(teachers.toFineTune.get(task)!, task, task) },
      };
    }
  };
  const phases = warmupPhases(teachers, supernet, method, s.data, phaseRng, teacherDone);
  const { steps, loss } = await s.run(phases, () => ({ teachers: stored }));
  const score = proxyReward(
    supernet,
    supernetArchitecture(supernet.config),
    method,
    proxyData(method, s.data),
  );
  const generalRef = given?.generalRef ?? stored.general;
  if (!generalRef) throw new TrainerError('runtime', 'the warm-up ended without a teacher');
  const taskRefs: Record<string, string> = { ...stored.tasks };
  for (const [task, g] of given?.tasks ?? []) taskRefs[task] = g.ref;
  for (const task of kdTasksOf(method))
    if (taskRefs[task] === undefined && teachers.set.forTask(task) === general) taskRefs[task] = generalRef;
  return {
    reward: score.score,
    steps,
    checkpointRef: await s.writeWeights(supernet),
    teacherRef: await s.store.putJson(teacherSetManifest(generalRef, taskRefs)),
    metrics: { ...score.metrics, loss },
  };
}

async function proxy(s: Session): Promise<TrainerResult> {
  const { job, method } = s;
  const arch = s.arch(s.c.arch);
  const teachers = await s.teachers(job.teacherRef, [method.proxy.task]);
  const candidate = await s.storedCandidate(job.supernetRef, arch);
  const ds = proxyData(method, s.data);
  let last: ProxyScore | undefined;
  const { steps, loss, best } = await s.run(
    proxyPhases(candidate, arch, teachers, method, ds, s.rng.fork(), (score) => {
      last = score;
    }),
  );
  // The trainer scores the held-out share at the last step: when that was the best epoch, its
  // scores are the reward's; otherwise the best epoch's weights are back and are scored again.
  const score =
    last && best?.step === method.proxy.finetuneSteps ? last : proxyReward(candidate, arch, method, ds);
  return { reward: score.score, steps, metrics: { ...score.metrics, loss } };
}

/**
 * The sub-networks the sharing training draws from: stage 3's space around `base` (stage 2's
 * winner), within the job's parameter budget, the same one the stage samplers honour.
 */
export function sharingSubnetworks(job: TrainerJob, config: StudentConfig, base: Architecture) {
  return subnetworkSampler(config, base, job.paramBudget);
}

async function sharing(s: Session): Promise<TrainerResult> {
  const { job, method } = s;
  const base = s.arch(s.c.arch);
  const teachers = await s.teachers(job.teacherRef, method.weightSharing.tasks);
  const supernet = await s.storedSupernet(job.supernetRef);
  const draw = sharingSubnetworks(job, supernet.config, base);
  const { steps, loss } = await s.run(sharingPhases(supernet, teachers, draw, method, s.data, s.rng.fork()));
  const score = sharedScore(supernet, base, method, s.data);
  return {
    reward: score.score,
    steps,
    checkpointRef: await s.writeWeights(supernet),
    metrics: { ...score.metrics, loss },
  };
}

async function scoreShared(s: Session): Promise<TrainerResult> {
  const { job, method } = s;
  const arch = s.arch(s.c.arch);
  const supernet = await s.storedSupernet(job.supernetRef);
  s.emit({ type: 'progress', step: 0, totalSteps: 1 });
  const score = sharedScore(supernet, arch, method, s.data);
  return { reward: score.score, steps: 1, metrics: score.metrics };
}

/** The final recipe (spec §3) on the job's architecture, sliced out of the shared supernet, and its dev scores. */
async function trainFinal(s: Session) {
  const { job, method } = s;
  const arch = s.arch(s.c.arch);
  const teachers = await s.teachers(job.teacherRef, method.final.tasks);
  const model = await s.storedCandidate(job.supernetRef, arch);
  const { steps, loss } = await s.run(finalPhases(model, arch, teachers, method, s.data, s.rng.fork()));
  return { arch, model, steps, loss, ...finalScores(model, arch, method, s.data) };
}

/** The plain baseline through the same recipe: measured against the winner, never exported. */
async function baseline(s: Session): Promise<TrainerResult> {
  const { reward, steps, loss, metrics } = await trainFinal(s);
  return { reward, steps, metrics: { ...metrics, loss } };
}

async function final(s: Session): Promise<TrainerResult> {
  const { method } = s;
  const { arch, model, steps, loss, reward, metrics } = await trainFinal(s);
  const repo = path.join(s.work, 'models');
  const weights = weightMapOf(model.params.toArrays());
  for (const task of method.final.tasks) {
    const t = s.data.tasks.definition(task);
    const kind = t.kind;
    exportStudentPackage({
      out: repo,
      name: modelName(s.c.searchId, task),
      version: 1,
      tokenizerDir: s.tokenizerDir,
      labels: await s.servedLabels(task),
      metrics: Object.fromEntries(
        Object.entries(metrics)
          .filter(([k]) => k.startsWith(`${task}.`))
          .map(([k, v]) => [k.slice(task.length + 1), v]),
      ),
      options: PLAIN,
      config: model.config,
      arch,
      weights,
      head: { task, kind, outputs: kind === 'regression' ? 1 : t.labels.length },
    });
  }
  return {
    reward,
    steps,
    checkpointRef: await s.writeWeights(model),
    modelRef: await s.store.putDir(repo),
    metrics: { ...metrics, loss },
  };
}

const BY_STAGE = {
  warmup,
  stage1: proxy,
  stage2: proxy,
  sharing,
  stage3: scoreShared,
  final,
  baseline,
  // The rank check's verify trainings are the baseline's recipe on a searched architecture.
  verify: baseline,
} as const;

export const kdTrainer: Trainer = async (job, emit) => {
  const backend = await selectBackend();
  const session = await Session.open(job, emit);
  try {
    await session.loadUserData();
    await session.restore();
    emit({ type: 'started', fromStep: session.resume?.step ?? 0, pid: process.pid, backend: backend.name });
    return await BY_STAGE[job.candidate.stage](session);
  } finally {
    session.close();
  }
};
