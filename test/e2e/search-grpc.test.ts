import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { DirArtifactStore } from '../../efficientbert/artifacts';
import { kendallTauB } from '../../efficientbert/search/ranking';
import { clientConstructor, HEALTH_SERVICE } from '../../services/grpc/protos';
import { loadSearchProtos } from '../../services/search/protos';
import { type RunningSearchServer, startSearchServer } from '../../services/search/server';
import { runSearchInProcess } from '../../workflows/in-process';
import { grpcPbSpec, type Reply, SearchTestClient } from '../helpers/temporal-grpc';
import {
  FAST_SPEC,
  FAST_TRAINING,
  midTraining,
  trainingRecords,
  waitForRecords,
} from '../helpers/temporal-search';
import { freePort, TestTemporalServer } from '../helpers/temporal-server';
import { bundleWorkflowsToFile, WorkerProcess } from '../helpers/temporal-worker';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejectsWith(
  p: Promise<unknown>,
  code: grpc.status,
  pattern?: RegExp,
): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (err) {
    const e = err as grpc.ServiceError;
    assert.equal(e.code, code, `expected ${grpc.status[code]}, got ${grpc.status[e.code]}: ${e.details}`);
    if (pattern) assert.match(e.details, pattern);
    return e;
  }
  assert.fail(`expected ${grpc.status[code]}`);
}

describe('efficientbert.v1.Search over a real Temporal dev server', { timeout: 600_000 }, () => {
  let server: TestTemporalServer;
  let root: string;
  let store: DirArtifactStore;
  let worker: WorkerProcess;
  let api: RunningSearchServer;
  let client: SearchTestClient;
  let bundlePath: string;
  const startWorker = () =>
    WorkerProcess.start({ address: server.address, artifactsRoot: store.root, bundlePath });

  before(async () => {
    root = await fs.mkdtemp(path.join(tmpdir(), 'eb-grpc-'));
    store = new DirArtifactStore(path.join(root, 'artifacts'));
    const [srv, bundle] = await Promise.all([TestTemporalServer.start(), bundleWorkflowsToFile()]);
    server = srv;
    bundlePath = bundle;
    worker = await startWorker();
    api = await startSearchServer({ temporalAddress: server.address, training: FAST_TRAINING });
    client = new SearchTestClient(`127.0.0.1:${api.port}`);
  });

  after(async () => {
    client?.close();
    await api?.close();
    await worker?.kill('SIGTERM');
    await server?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('rejects a bad spec with INVALID_ARGUMENT naming the field', async () => {
    const e1 = await rejectsWith(
      client.call('StartSearch', {
        request_id: 'bad-1',
        spec: grpcPbSpec({ stages: { stage1_candidates: 4, stage2_candidates: 0, stage3_candidates: 4 } }),
      }),
      grpc.status.INVALID_ARGUMENT,
      /spec\.stages\.stage2_candidates/,
    );
    assert.deepEqual(e1.metadata.get('field'), ['spec.stages.stage2_candidates']);
    await rejectsWith(
      client.call('StartSearch', { request_id: 'bad-2', spec: grpcPbSpec({ preset: 'huge' }) }),
      grpc.status.INVALID_ARGUMENT,
      /spec\.preset/,
    );
    await rejectsWith(
      client.call('StartSearch', { spec: grpcPbSpec() }),
      grpc.status.INVALID_ARGUMENT,
      /request_id/,
    );
    const e3 = await rejectsWith(
      client.call('StartSearch', {
        request_id: 'bad-3',
        spec: grpcPbSpec({ method: { proxy: { train_fraction: 0.99, held_out_fraction: 0.5 } } }),
      }),
      grpc.status.INVALID_ARGUMENT,
      /spec\.method\.proxy\.held_out_fraction must not overlap/,
    );
    assert.deepEqual(e3.metadata.get('field'), ['spec.method.proxy.held_out_fraction']);
  });

  it('reflection lists the Search service and answers malformed requests with INVALID_ARGUMENT', async () => {
    const root = new protobuf.Root().loadSync(
      require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'),
      { keepCase: true },
    );
    const requestType = root.lookupType('grpc.reflection.v1.ServerReflectionRequest');
    const responseType = root.lookupType('grpc.reflection.v1.ServerReflectionResponse');
    const raw = new grpc.Client(`127.0.0.1:${api.port}`, grpc.credentials.createInsecure());
    const answers: Reply[] = [];
    const status = await new Promise<grpc.status>((resolve) => {
      const call = raw.makeBidiStreamRequest(
        '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
        (b: Buffer) => b,
        (b: Buffer) => b,
        new grpc.Metadata(),
        { deadline: Date.now() + 20_000 },
      );
      call.on('data', (b: Buffer) => answers.push(responseType.toObject(responseType.decode(b))));
      call.on('error', () => undefined);
      call.on('status', (st: grpc.StatusObject) => resolve(st.code));
      // A field of wire type 7 (which does not exist), then a valid list_services request.
      call.write(Buffer.from([0x0f, 0x01]));
      call.write(Buffer.from(requestType.encode(requestType.fromObject({ list_services: '' })).finish()));
      call.end();
    });
    raw.close();
    assert.equal(status, grpc.status.OK);
    assert.equal(answers[0]!.error_response.error_code, grpc.status.INVALID_ARGUMENT);
    const names = answers[1]!.list_services_response.service.map((x: { name: string }) => x.name);
    assert.ok(names.includes('efficientbert.v1.Search'), String(names));
  });

  it('answers NOT_FOUND for an unknown search id', async () => {
    await rejectsWith(client.call('GetSearch', { search_id: 'no-such-search' }), grpc.status.NOT_FOUND);
    await rejectsWith(client.call('PauseSearch', { search_id: 'no-such-search' }), grpc.status.NOT_FOUND);
    await rejectsWith(client.call('GetLeaderboard', { search_id: 'no-such-search' }), grpc.status.NOT_FOUND);
    await rejectsWith(client.call('ListCandidates', { search_id: 'no-such-search' }), grpc.status.NOT_FOUND);
  });

  it('rejects a verify_ranking above 20 with INVALID_ARGUMENT naming spec.verify_ranking', async () => {
    const e = await rejectsWith(
      client.call('StartSearch', { request_id: 'bad-verify', spec: grpcPbSpec({ verify_ranking: 21 }) }),
      grpc.status.INVALID_ARGUMENT,
      /spec\.verify_ranking must be an integer in \[0, 20\], got 21/,
    );
    assert.deepEqual(e.metadata.get('field'), ['spec.verify_ranking']);
  });

  it('runs the rank check durably: a worker killed mid-check, the same check as in-process', async () => {
    const verify = 3;
    const reference = runSearchInProcess(
      'reference-verify',
      { ...FAST_SPEC, verifyRanking: verify },
      { store: new DirArtifactStore(path.join(root, 'ref-verify-artifacts')), trainer: 'fake' },
    );
    const spec = grpcPbSpec({ verify_ranking: verify });
    const { search_id: id } = await client.call('StartSearch', { request_id: 'e2e-verify', spec });
    // Kill the worker while the second verify training is between checkpoints.
    let victim: string | undefined;
    await waitForRecords(
      store,
      id,
      (records) => {
        victim = midTraining(records, 0);
        return victim === 'verify-0001';
      },
      180_000,
    );
    await worker.kill('SIGKILL');
    worker = await startWorker();
    const events = await client.watch(id);
    assert.equal(events.at(-1)!.status, 'SEARCH_STATUS_COMPLETED');
    assert.ok(
      events.some((e) => e.progress?.stage === 'verify'),
      'progress showed the verify phase',
    );
    const info = await client.call('GetSearch', { search_id: id });
    // 16 candidates, warm-up, sharing, final, baseline, and the three verify trainings.
    assert.equal(info.progress.planned, 20 + verify);
    assert.equal(info.progress.evaluated, 20 + verify);
    const ref = (await reference).rankingCheck!;
    assert.equal(ref.entries.length, verify);
    const check = info.ranking_check;
    assert.deepEqual(
      check.entries.map((e: Reply) => [
        e.candidate_id,
        e.arch,
        e.proxy_reward,
        e.final_reward,
        e.final_id,
        e.status,
      ]),
      ref.entries.map((e) => [e.candidateId, e.arch, e.proxyReward, e.final.reward, e.final.id, 'ok']),
    );
    // The baseline's final recipe, without export: dev metrics, no model.
    assert.ok(Object.keys(check.entries[0].metrics).length > 0);
    assert.equal(check.kendall_tau, ref.kendallTau);
    assert.equal(
      check.kendall_tau,
      kendallTauB(
        check.entries.map((e: Reply) => e.proxy_reward),
        check.entries.map((e: Reply) => e.final_reward),
      ),
    );
    const records = await trainingRecords(store, id);
    const restarts = records.filter((r) => r.candidateId === 'verify-0001' && r.event === 'start');
    assert.ok(restarts.length >= 2, 'the killed verify training was started again');
    for (const e of check.entries) assert.match(e.candidate_id, /^stage[12]-\d{4}$/);

    // Every candidate, in pages: more than the leaderboard, the same ones on every page size.
    const all: Reply[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await client.call('ListCandidates', { search_id: id, page_size: 5, page_token: token });
      assert.equal(page.total, 16);
      assert.ok(page.candidates.length <= 5);
      all.push(...page.candidates);
      token = page.next_page_token;
      pages++;
    } while (token !== '');
    assert.equal(pages, 4);
    assert.deepEqual(
      all.map((c) => c.id),
      [
        ...Array.from({ length: 8 }, (_, i) => `stage1-000${i}`),
        ...Array.from({ length: 4 }, (_, i) => `stage2-000${i}`),
        ...Array.from({ length: 4 }, (_, i) => `stage3-000${i}`),
      ],
    );
    const board = await client.call('GetLeaderboard', { search_id: id });
    const onBoard = new Set(board.entries.map((c: Reply) => c.id));
    assert.ok(
      all.some((c) => !onBoard.has(c.id)),
      'lists candidates off the leaderboard',
    );
    const whole = await client.call('ListCandidates', { search_id: id });
    assert.deepEqual(whole.candidates, all);
    assert.equal(whole.next_page_token, '');

    for (const bad of ['not-a-token', Buffer.from('candidates:99').toString('base64url')]) {
      const e = await rejectsWith(
        client.call('ListCandidates', { search_id: id, page_token: bad }),
        grpc.status.INVALID_ARGUMENT,
        /page_token/,
      );
      assert.deepEqual(e.metadata.get('field'), ['page_token']);
    }
  });

  it('runs a whole search: idempotent start, watched to the end, listed and ranked', async () => {
    const reference = runSearchInProcess('reference', FAST_SPEC, {
      store: new DirArtifactStore(path.join(root, 'ref-artifacts')),
      trainer: 'fake',
    });
    const started = await client.call('StartSearch', { request_id: 'e2e-run-1', spec: grpcPbSpec() });
    assert.equal(started.created, true);
    const again = await client.call('StartSearch', { request_id: 'e2e-run-1', spec: grpcPbSpec() });
    assert.equal(again.created, false);
    assert.equal(again.search_id, started.search_id);
    await rejectsWith(
      client.call('StartSearch', { request_id: 'e2e-run-1', spec: grpcPbSpec({ seed: 5 }) }),
      grpc.status.ALREADY_EXISTS,
    );
    const id = started.search_id as string;
    const events = await client.watch(id);
    assert.ok(events.length >= 3, `expected several progress events, got ${events.length}`);
    const last = events[events.length - 1]!;
    assert.equal(last.final, true);
    assert.equal(last.status, 'SEARCH_STATUS_COMPLETED');
    for (let i = 1; i < events.length; i++) {
      assert.ok((events[i]!.progress?.evaluated ?? 0) >= (events[i - 1]!.progress?.evaluated ?? 0));
    }
    const stagesSeen = new Set(events.map((e) => e.progress?.stage));
    for (const s of ['stage1', 'stage2', 'stage3', 'done'])
      assert.ok(stagesSeen.has(s), `saw no event in ${s}`);

    const info = await client.call('GetSearch', { search_id: id });
    assert.equal(info.status, 'SEARCH_STATUS_COMPLETED');
    // 16 candidates, the warm-up and weight-sharing supernets, the final and baseline trainings.
    assert.equal(info.progress.evaluated, 20);
    assert.equal(info.progress.planned, 20);
    assert.equal(info.spec.seed, 20211);
    assert.equal(info.request_id, 'e2e-run-1');
    const ref = await reference;
    assert.equal(info.winner.arch, ref.winner!.arch);
    assert.equal(info.final.reward, ref.final!.reward);
    assert.match(info.final.checkpoint_ref, /^sha256:[0-9a-f]{64}$/);
    assert.match(info.outcome_ref, /^sha256:/);
    assert.ok(await store.has(info.final.checkpoint_ref), 'the model checkpoint is in the artifact store');

    const board = await client.call('GetLeaderboard', { search_id: id, top_k: 3 });
    assert.equal(board.entries.length, 3);
    assert.ok(board.entries[0].reward >= board.entries[1].reward);

    const done = await client.call('ListSearches', { status: 'SEARCH_STATUS_COMPLETED' });
    assert.ok(done.searches.some((s: Reply) => s.search_id === id && s.stage === 'done'));
    const byStage = await client.call('ListSearches', { stage: 'done' });
    assert.ok(byStage.searches.some((s: Reply) => s.search_id === id));
    const running = await client.call('ListSearches', { status: 'SEARCH_STATUS_RUNNING' });
    assert.ok(!running.searches.some((s: Reply) => s.search_id === id));
  });

  it('pauses, resumes, changes parallelism and cancels a running search', async () => {
    const spec = grpcPbSpec({
      seed: 99,
      stages: { stage1_candidates: 12, stage2_candidates: 2, stage3_candidates: 2 },
    });
    const { search_id: id } = await client.call('StartSearch', { request_id: 'e2e-control', spec });
    const searchId = id as string;
    // Let it get going, then pause.
    for (let i = 0; i < 200; i++) {
      const info = await client.call('GetSearch', { search_id: searchId });
      if ((info.progress?.evaluated ?? 0) >= 2) break;
      await sleep(100);
    }
    const paused = await client.call('PauseSearch', { search_id: searchId });
    assert.equal(paused.status, 'SEARCH_STATUS_PAUSED');
    // In-flight trainings finish; after that nothing new starts.
    await sleep(3000);
    const startsBefore = (await trainingRecords(store, searchId)).filter((r) => r.event === 'start').length;
    await sleep(1500);
    const startsAfter = (await trainingRecords(store, searchId)).filter((r) => r.event === 'start').length;
    assert.equal(startsAfter, startsBefore, 'no training starts while paused');
    const listed = await client.call('ListSearches', { status: 'SEARCH_STATUS_PAUSED' });
    assert.ok(listed.searches.some((s: Reply) => s.search_id === searchId));

    const par = await client.call('SetParallelism', { search_id: searchId, parallelism: 1 });
    assert.equal(par.previous, 2);
    await rejectsWith(
      client.call('SetParallelism', { search_id: searchId, parallelism: 0 }),
      grpc.status.INVALID_ARGUMENT,
      /parallelism/,
    );
    const resumed = await client.call('ResumeSearch', { search_id: searchId });
    assert.equal(resumed.status, 'SEARCH_STATUS_RUNNING');
    assert.equal(resumed.progress.parallelism, 1);
    for (let i = 0; i < 200; i++) {
      const starts = (await trainingRecords(store, searchId)).filter((r) => r.event === 'start').length;
      if (starts > startsAfter) break;
      await sleep(100);
    }
    const cancelled = await client.call('CancelSearch', { search_id: searchId, reason: 'test' });
    assert.match(cancelled.status, /SEARCH_STATUS_(CANCELLING|CANCELLED)/);
    const events = await client.watch(searchId);
    const last = events[events.length - 1]!;
    assert.equal(last.final, true);
    assert.equal(last.status, 'SEARCH_STATUS_CANCELLED');
    assert.ok(last.progress.evaluated < last.progress.planned);
    const records = await trainingRecords(store, searchId);
    assert.ok(!records.some((r) => r.candidateId === 'final'), 'a cancelled search trains no final model');
    await rejectsWith(client.call('PauseSearch', { search_id: searchId }), grpc.status.FAILED_PRECONDITION);
  });

  it('answers UNAVAILABLE within seconds when Temporal is unreachable', async () => {
    const deadApi = await startSearchServer({ temporalAddress: `127.0.0.1:${await freePort()}` });
    const dead = new SearchTestClient(`127.0.0.1:${deadApi.port}`);
    try {
      for (const [method, req] of [
        ['GetSearch', { search_id: 'x' }],
        ['StartSearch', { request_id: 'r', spec: grpcPbSpec() }],
        ['ListSearches', {}],
      ] as const) {
        const t0 = Date.now();
        await rejectsWith(dead.call(method, req), grpc.status.UNAVAILABLE, /Temporal unavailable/);
        assert.ok(Date.now() - t0 < 5000, `${method} took ${Date.now() - t0} ms`);
      }
      const Health = clientConstructor(loadSearchProtos(), HEALTH_SERVICE);
      const health = new Health(`127.0.0.1:${deadApi.port}`, grpc.credentials.createInsecure());
      const status = await new Promise<Reply>((resolve, reject) =>
        (health as unknown as Record<string, (...a: unknown[]) => void>).Check!(
          { service: '' },
          (err: Error | null, r: Reply) => (err ? reject(err) : resolve(r)),
        ),
      );
      assert.equal(status.status, 'NOT_SERVING');
      health.close();
    } finally {
      dead.close();
      await deadApi.close();
    }
  });

  it('answers UNAVAILABLE, not a hang, when Temporal dies after the gateway connected', async () => {
    const id = (await client.call('ListSearches', {})).searches[0]?.search_id as string;
    assert.ok(id);
    await server.kill();
    const t0 = Date.now();
    await rejectsWith(
      client.call('GetSearch', { search_id: id }),
      grpc.status.UNAVAILABLE,
      /Temporal unavailable/,
    );
    await rejectsWith(client.call('PauseSearch', { search_id: id }), grpc.status.UNAVAILABLE);
    assert.ok(Date.now() - t0 < 8000, `took ${Date.now() - t0} ms`);
  });
});
