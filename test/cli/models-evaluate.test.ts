import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { computeMetrics } from '../../efficientbert/data/metrics';
import type { InferenceServer } from '../../services/inference/grpc/server';
import { writeTinyClassifier } from '../fixtures/tiny-classifier';
import { startServer, tempRepository } from '../integration/inference/harness';
import { runCli } from './cli-process';

const TEXTS = [
  'a gorgeous movie',
  'a dull mess',
  'the plot never comes together',
  'warm , funny and sharp',
  'i walked out after an hour',
  'one of the best films of the year',
  'flat characters and a silly ending',
  'it grows on you',
  'an unbelievably long slog',
  'the cast is wonderful',
  'nothing here works',
  'a small delight',
];

describe('efficientbert models evaluate against a real inference server', { timeout: 120_000 }, () => {
  const repo = tempRepository();
  let server: InferenceServer;
  let env: Record<string, string>;
  const dataDir = mkdtempSync(join(tmpdir(), 'eb-evaluate-'));
  const file = (name: string, text: string) => {
    const path = join(dataDir, name);
    writeFileSync(path, text);
    return path;
  };
  const evaluate = async (model: string, args: string[]) =>
    runCli(['models', 'evaluate', model, ...args], { env });
  /** What the served model answers for TEXTS, through Classify. */
  const served = async (model: string) => {
    const r = await runCli(['classify', '--model', model, ...TEXTS, '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).results as Array<{ label: string; score: number }>;
  };

  before(async () => {
    writeTinyClassifier(repo.dir, { name: 'tiny', version: 1, seed: 7, labels: ['negative', 'positive'] });
    writeTinyClassifier(repo.dir, { name: 'three', version: 2, seed: 11, labels: ['a', 'b', 'c'] });
    // A one-output regression package: the tiny classifier's single logit is the score.
    const reg = writeTinyClassifier(repo.dir, { name: 'similarity', version: 1, seed: 5, labels: ['score'] });
    const configPath = join(reg.versionDir, 'model.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    writeFileSync(configPath, JSON.stringify({ ...config, task: 'regression', labels: [], metrics: {} }));
    server = await startServer(repo.dir);
    env = { EFFICIENTBERT_INFERENCE_ADDRESS: `127.0.0.1:${server.port}` };
  });
  after(async () => {
    await server?.shutdown();
    repo.remove();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('scores a CSV by label names: the metrics of the served answers against the file', async () => {
    const answers = await served('tiny');
    // The model's own answer for the first 9 rows, the other label for the last 3.
    const labels = answers.map((a, i) =>
      i < 9 ? a.label : a.label === 'positive' ? 'negative' : 'positive',
    );
    const csv = file('test.csv', `text,label\n${TEXTS.map((t, i) => `"${t}",${labels[i]}`).join('\n')}\n`);
    const r = await evaluate('tiny', ['--data', csv, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const scored = JSON.parse(r.stdout);
    assert.equal(scored.rows, 12);
    assert.equal(scored.version, '1');
    assert.equal(scored.truncated, 0);
    const index = (l: string) => (l === 'positive' ? 1 : 0);
    const expected = computeMetrics(
      ['accuracy', 'f1', 'mcc'],
      answers.map((a) => index(a.label)),
      labels.map(index),
    );
    assert.equal(scored.metrics.accuracy, 0.75);
    assert.deepEqual(scored.metrics, expected);
    // Across requests of 5 texts the answer is the same.
    const paged = await evaluate('tiny', ['--data', csv, '--json', '--batch', '5']);
    assert.deepEqual(JSON.parse(paged.stdout).metrics, expected);
    const text = await evaluate('tiny', ['--data', csv]);
    assert.match(text.stdout, /^tiny v1 on .*test\.csv: 12 rows \(0 truncated\)\naccuracy 0\.7500\nf1 /);
  });

  it('reads GLUE-style TSVs with label indexes and JSONL with three labels', async () => {
    const answers = await served('tiny');
    const tsv = file(
      'dev.tsv',
      `sentence\tlabel\n${TEXTS.map((t, i) => `${t}\t${answers[i]!.label === 'positive' ? 1 : 0}`).join('\n')}\n`,
    );
    const r = await evaluate('tiny', ['--data', tsv, '--text-column', 'sentence', '--label-index', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).metrics.accuracy, 1);

    const three = await served('three');
    const jsonl = file(
      'three.jsonl',
      TEXTS.map((t, i) => {
        const answer = three[i]!.label;
        // Right on even rows, another of the three labels on odd ones.
        const label = i % 2 === 0 ? answer : ['a', 'b', 'c'].find((l) => l !== answer);
        return JSON.stringify({ review: t, label });
      }).join('\n'),
    );
    const j = await evaluate('three', ['--data', jsonl, '--text-column', 'review', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const scored = JSON.parse(j.stdout);
    assert.deepEqual(Object.keys(scored.metrics), ['accuracy']);
    assert.equal(scored.metrics.accuracy, 0.5);
    assert.equal(scored.version, '2');
  });

  it('scores a regression model by pearson and spearman', async () => {
    const answers = await served('similarity');
    // An exact linear map of the served scores: both correlations are 1.
    const jsonl = file(
      'scores.jsonl',
      TEXTS.map((t, i) => JSON.stringify({ text: t, label: 2 * answers[i]!.score + 1 })).join('\n'),
    );
    const r = await evaluate('similarity', ['--data', jsonl, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { metrics } = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(metrics), ['pearson', 'spearman']);
    assert.ok(Math.abs(metrics.pearson - 1) < 1e-6, String(metrics.pearson));
    assert.ok(Math.abs(metrics.spearman - 1) < 1e-6, String(metrics.spearman));
  });

  it('refuses bad input with the file and line, or a usage error', async () => {
    const unknownLabel = file('bad-label.csv', 'text,label\ngood film,positive\nbad film,awful\n');
    let r = await evaluate('tiny', ['--data', unknownLabel]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /bad-label\.csv:3: label "awful" is not one of the model's labels \(negative, positive\)/,
    );

    const badIndex = file('bad-index.tsv', 'text\tlabel\ngood film\t1\nbad film\t2\n');
    r = await evaluate('tiny', ['--data', badIndex, '--label-index']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad-index\.tsv:3: label "2" is not an index 0-1/);

    const unterminated = file('broken.csv', 'text,label\n"good film,positive\n');
    r = await evaluate('tiny', ['--data', unterminated]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken\.csv:2: unterminated quoted field/);

    const noColumn = file('columns.csv', 'sentence,label\ngood film,positive\n');
    r = await evaluate('tiny', ['--data', noColumn]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /columns\.csv:1: header has no "text" column/);

    const csv = file('ok.csv', 'text,label\ngood film,positive\n');
    r = await evaluate('nope', ['--data', csv]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NOT_FOUND: .*nope/);
    r = await evaluate('tiny', ['--data', csv, '--version', '9']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NOT_FOUND/);

    r = await evaluate('tiny', []);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--data FILE is required/);
    r = await evaluate('tiny', ['--data', file('data.txt', 'x')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot tell the format from the extension/);
    r = await evaluate('tiny', ['--data', csv, '--batch', '0']);
    assert.equal(r.code, 2);
    r = await evaluate('tiny', ['--data', join(dataDir, 'missing.csv')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read .*missing\.csv/);
  });
});
