/** `efficientbert report render`: files out, and errors that say what is wrong with the input. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXIT, UsageError } from '../../../services/cli/command';
import { reportCommand } from '../../../services/cli/commands/report';

const FIXTURE = path.join(__dirname, '../../fixtures/report/search-results.json');

/** Runs the command with console.log captured. */
async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    return { code: await reportCommand.run(argv), stdout: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

describe('efficientbert report render', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-cli-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('renders the report and lists what it wrote', async () => {
    const out = path.join(dir, 'nested', 'out');
    const { code, stdout } = await run(['render', '--input', FIXTURE, '--out', out, '--json']);
    assert.equal(code, EXIT.ok);
    const result = JSON.parse(stdout);
    assert.equal(result.htmlPath, path.join(out, 'report.html'));
    assert.equal(result.svgPaths.length, 9);
    for (const file of [result.htmlPath, ...result.svgPaths]) assert.ok(fs.existsSync(file), file);
  });

  it('renders without latencies: no latency front, a note instead', async () => {
    const data = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
    for (const stage of data.stages) for (const c of stage.candidates) c.latencyMs = null;
    const input = path.join(dir, 'no-latency.json');
    fs.writeFileSync(input, JSON.stringify(data));
    const out = path.join(dir, 'no-latency');
    const { stdout } = await run(['render', '--input', input, '--out', out]);
    assert.match(stdout, /report\.html and 8 figures/);
    assert.ok(!fs.existsSync(path.join(out, 'pareto-latency.svg')));
    assert.match(
      fs.readFileSync(path.join(out, 'report.html'), 'utf8'),
      /No candidate had a measured latency/,
    );
  });

  it('names the broken field of invalid input, and fails on unreadable input', async () => {
    const data = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
    data.stages[0].candidates[2].reward = 'high';
    const input = path.join(dir, 'bad.json');
    fs.writeFileSync(input, JSON.stringify(data));
    const usage = (pattern: RegExp, code: number) => (err: unknown) =>
      err instanceof UsageError && pattern.test(err.message) && err.exitCode === code;
    await assert.rejects(
      run(['render', '--input', input, '--out', dir]),
      usage(/stages\[0\]\.candidates\[2\]\.reward: expected a finite number, got 'high'/, EXIT.failure),
    );
    fs.writeFileSync(input, '{"searchId": ');
    await assert.rejects(run(['render', '--input', input, '--out', dir]), usage(/is not JSON/, EXIT.failure));
    await assert.rejects(
      run(['render', '--input', path.join(dir, 'missing.json'), '--out', dir]),
      usage(/cannot read --input/, EXIT.failure),
    );
    await assert.rejects(
      run(['render', '--input', input]),
      usage(/--input and --out are required/, EXIT.usage),
    );
    await assert.rejects(run(['render', '--bogus']), usage(/bogus/, EXIT.usage));
    await assert.rejects(run(['draw']), usage(/unknown report subcommand 'draw'/, EXIT.usage));
  });
});
