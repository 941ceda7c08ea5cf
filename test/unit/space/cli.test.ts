import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { EFFICIENTBERT_TEXT } from '../../../efficientbert/space/published';

const bin = join(__dirname, '..', '..', '..', 'bin', 'efficientbert');
const ONE_LAYER = 'linear1_1(gelu(linear1_1(x,wb1)),wb2)';
const ALL_ONES = Array(6).fill(ONE_LAYER).join(', ');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Every invocation the tests look at, spawned at once: each pays about a second of tsx start-up. */
const INVOCATIONS: readonly (readonly string[])[] = [
  ['params', '--preset', 'paper'],
  ['params', '--tiny', '--json'],
  ['params', '--supernet'],
  ['params', '--arch', ALL_ONES, '--json'],
  ['params', '--arch', ONE_LAYER],
  ['params', '--bogus'],
  ['check', 'linear2_2( gelu(linear2_2(max(x, tanh(x)), wb1)), wb2)'],
  ['check', EFFICIENTBERT_TEXT],
  ['check', 'linear1_1(linear1_1(x,wb1),wb2)'],
  ['check', `${ONE_LAYER}, gelu(`],
  ['--help'],
  ['params', '--help'],
  ['check', '--help'],
];
const results = new Map<string, Run>();

function spawnArch(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(bin, ['arch', ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function run(...args: string[]): Run {
  const result = results.get(JSON.stringify(args));
  if (!result) throw new Error(`add ${JSON.stringify(args)} to INVOCATIONS`);
  return result;
}

before(async () => {
  await Promise.all(
    INVOCATIONS.map(async (args) => results.set(JSON.stringify(args), await spawnArch(args))),
  );
});

describe('efficientbert arch', () => {
  it('params prints the published EfficientBERT and supernet counts', () => {
    const paper = run('params', '--preset', 'paper');
    assert.equal(paper.code, 0, paper.stderr);
    assert.equal(paper.stdout.trim(), '15.74 M (15,737,724 parameters; 15.32 M without fit_dense)');
    assert.match(run('params', '--supernet').stdout, /^25\.88 M \(25,875,324 parameters/);
  });

  it('params counts any --arch and EfficientBERT_TINY (--tiny), as JSON', () => {
    const out = run('params', '--arch', ALL_ONES, '--json');
    assert.equal(out.code, 0, out.stderr);
    const json = JSON.parse(out.stdout);
    assert.equal(json.parameters, 15_338_844);
    assert.equal(json.arch, ALL_ONES);
    const tiny = JSON.parse(run('params', '--tiny', '--json').stdout);
    assert.equal(tiny.hidden, 360);
    assert.equal(tiny.millions, 9.38);
    assert.equal(tiny.arch, EFFICIENTBERT_TEXT);
  });

  it('params rejects bad input with a usage error', () => {
    const bad = run('params', '--arch', ONE_LAYER);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /1 layers but the preset has 6/);
    assert.equal(run('params', '--bogus').code, 2);
  });

  it('check prints the normalized token form and the math form', () => {
    const out = run('check', 'linear2_2( gelu(linear2_2(max(x, tanh(x)), wb1)), wb2)');
    assert.equal(out.code, 0, out.stderr);
    assert.equal(
      out.stdout,
      'linear2_2(gelu(linear2_2(max(x,tanh(x)),wb1)),wb2)\nW2·gelu(W1·max(x, tanh(x)))\n',
    );
    const list = run('check', EFFICIENTBERT_TEXT);
    assert.equal(list.code, 0, list.stderr);
    assert.match(
      list.stdout,
      /^layer 5: linear1_2\(relu\(mul\(linear1_2\(x,wb1\),x\)\),wb2\)\n\s+W2·relu\(\(W1·x\) ⊙ x\)$/m,
    );
  });

  it('check names the broken rule and exits 1', () => {
    const nested = run('check', 'linear1_1(linear1_1(x,wb1),wb2)');
    assert.equal(nested.code, 1);
    assert.match(nested.stdout, /^invalid \(nested-linears\): /);
    const syntax = run('check', `${ONE_LAYER}, gelu(`);
    assert.equal(syntax.code, 1);
    assert.match(syntax.stdout, /^invalid \(syntax\): layer 2: expected an expression/);
  });

  it('--help works on the command and each subcommand', () => {
    for (const args of [['--help'], ['params', '--help'], ['check', '--help']] as const) {
      const out = run(...args);
      assert.equal(out.code, 0);
      assert.match(out.stdout, /^usage: efficientbert arch/);
    }
  });
});
