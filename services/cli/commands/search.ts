import * as path from 'node:path';
import { renderSearchReport } from '../../report/render';
import { ReportDataError, validateReportData } from '../../report/report-data';
import { intFlag, type ParsedArgs, parseCommandArgs, printJson } from '../args';
import { type Command, EXIT, UsageError } from '../command';
import { CONFIG_HELP } from '../config';
import { inferenceRpc, type Message, type RpcClient, searchRpc } from '../rpc';
import { reportDataFromSearch } from '../search/report-from-search';
import { latencyNote, measureServedLatency, type ServedLatency, winnerModel } from '../search/served-latency';
import { SPEC_HELP, SPEC_OPTIONS, startRequestFromFlags } from '../search/spec-flags';
import { uploadDataFlags } from '../search/upload-data';
import { uploadTeacherDir } from '../search/upload-teacher';
import { exitCodeOfFinalStatus, watchSearch } from '../search/watch';
import { statusName } from '../search/watch-view';

const USAGE = `usage: efficientbert search <action> [args] [--json] [configuration flags]

  start [spec flags]           start a search; prints its id (--watch: then follow it)
  watch ID                     follow a search until it ends: live bars, top 5 and ETA on a
                               terminal, one line per event when piped (--json: one object per line)
  list [--status S]            searches, newest first (S: running, paused, completed, cancelled, failed)
  pause ID | resume ID         stop starting candidates / start again
  cancel ID [--reason TEXT]    end the search CANCELLED with what it has
  report ID [--out DIR] [--latency-runs N]
                               render the HTML report (default DIR: STATE/reports/ID) with the
                               served winner's latency: p50 of N sequential Classify calls, batch 1,
                               one text filling the model's max sequence length (default N 30; 0: do
                               not measure; inference service unreachable: a note, no latency);
                               --json adds winnerLatencyMs (null when not measured)

spec flags (start):
${SPEC_HELP}

exit codes: 0 ok (watch: the search COMPLETED), 1 failure (watch: FAILED or CANCELLED; the service
refused the request: bad spec, unknown id, search already ended), 2 usage, 3 search service or
Temporal unreachable

${CONFIG_HELP}`;

const OPTIONS = {
  ...SPEC_OPTIONS,
  watch: { type: 'boolean', default: false },
  status: { type: 'string' },
  reason: { type: 'string' },
  out: { type: 'string' },
  'latency-runs': { type: 'string' },
} as const;

const DEFAULT_LATENCY_RUNS = 30;

function oneId(args: ParsedArgs, action: string): string {
  const id = args.positionals[1];
  if (!id || args.positionals.length > 2) throw new UsageError(`usage: efficientbert search ${action} ID`);
  return id;
}

function describe(info: Message): string {
  const p: Message = info.progress ?? {};
  const best = p.best ? `, best ${Number(p.best.reward).toFixed(4)} (${p.best.id})` : '';
  return `${info.search_id}: ${statusName(info.status)}, stage ${p.stage ?? 'pending'}, ${p.evaluated ?? 0}/${p.planned ?? 0} candidates${best}`;
}

async function start(rpc: RpcClient, args: ParsedArgs): Promise<number> {
  const request = startRequestFromFlags(args.values, args.config().dataDir);
  const data = await uploadDataFlags(rpc, args.values);
  if (data) request.spec.data = data;
  const teacherDir = args.values['teacher-dir'] as string | undefined;
  if (teacherDir !== undefined) {
    const teacher = await uploadTeacherDir(rpc, teacherDir);
    request.spec.teacher_ref = teacher.ref;
    // stderr: with --json, stdout holds only the StartSearch reply.
    console.error(`imported teacher ${teacherDir}: ${teacher.ref}`);
  }
  const reply = await rpc.unary('StartSearch', request);
  if (args.json && !args.values.watch) printJson(reply);
  else if (args.json) console.error(JSON.stringify({ search_id: reply.search_id, created: reply.created }));
  else
    console.log(
      reply.created
        ? `started ${reply.search_id}`
        : `request ${request.request_id} already started ${reply.search_id}; not starting another`,
    );
  if (!args.values.watch) {
    if (!args.json) console.error(`follow it: efficientbert search watch ${reply.search_id}`);
    return EXIT.ok;
  }
  return exitCodeOfFinalStatus(
    await watchSearch(rpc, reply.search_id, { out: process.stdout, json: args.json }),
  );
}

async function list(rpc: RpcClient, args: ParsedArgs): Promise<number> {
  const status = args.values.status as string | undefined;
  const reply = await rpc.unary('ListSearches', {
    status: status ? `SEARCH_STATUS_${status.toUpperCase()}` : 'SEARCH_STATUS_UNSPECIFIED',
  });
  const searches: Message[] = reply.searches ?? [];
  if (args.json) {
    printJson(searches);
    return EXIT.ok;
  }
  if (searches.length === 0) console.log('no searches');
  for (const s of searches)
    console.log(
      [
        s.search_id,
        statusName(s.status).padEnd(10),
        String(s.stage || '-').padEnd(7),
        new Date(Number(s.start_time_ms)).toISOString(),
      ].join('  '),
    );
  return EXIT.ok;
}

async function control(
  rpc: RpcClient,
  args: ParsedArgs,
  action: 'pause' | 'resume' | 'cancel',
): Promise<number> {
  const id = oneId(args, action);
  const method = { pause: 'PauseSearch', resume: 'ResumeSearch', cancel: 'CancelSearch' }[action];
  const info = await rpc.unary(method, {
    search_id: id,
    reason: (args.values.reason as string | undefined) ?? '',
  });
  if (args.json) printJson(info);
  else console.log(describe(info));
  return EXIT.ok;
}

/**
 * The served winner's latency, or null when there is none to measure or the measurement failed:
 * a report is worth having without it, so a failure is only a note on stderr.
 */
async function servedWinnerLatency(
  args: ParsedArgs,
  info: Message,
  runs: number,
): Promise<ServedLatency | null> {
  const model = winnerModel(info);
  if (runs === 0 || !model) return null;
  const inference = inferenceRpc(args.config());
  try {
    return await measureServedLatency(inference, model, runs);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    // Unreachable: callError already says what to run. Anything else is about the model.
    const next =
      err instanceof UsageError && err.exitCode === EXIT.unavailable
        ? ''
        : ` (\`efficientbert models list\` shows what ${inference.target.address} serves)`;
    console.error(`note: the winner's latency is not measured: ${why}${next}`);
    return null;
  } finally {
    inference.close();
  }
}

/** Every page of ListCandidates. */
async function everyCandidate(rpc: RpcClient, id: string): Promise<Message[]> {
  const all: Message[] = [];
  let token = '';
  do {
    const page = await rpc.unary('ListCandidates', { search_id: id, page_size: 1000, page_token: token });
    all.push(...(page.candidates ?? []));
    token = page.next_page_token ?? '';
  } while (token !== '');
  return all;
}

async function report(rpc: RpcClient, args: ParsedArgs): Promise<number> {
  const id = oneId(args, 'report');
  const latencyRuns = intFlag(args.values, 'latency-runs') ?? DEFAULT_LATENCY_RUNS;
  const [info, candidates] = await Promise.all([
    rpc.unary('GetSearch', { search_id: id }),
    everyCandidate(rpc, id),
  ]);
  const latency = await servedWinnerLatency(args, info, latencyRuns);
  let data: ReturnType<typeof validateReportData>;
  try {
    data = validateReportData(reportDataFromSearch(info, candidates, latency));
  } catch (err) {
    if (err instanceof ReportDataError)
      throw new UsageError(`cannot build the report of ${id}: ${err.message}`, EXIT.failure);
    throw err;
  }
  const out = path.resolve(
    (args.values.out as string | undefined) ?? path.join(args.config().stateDir, 'reports', id),
  );
  const rendered = await renderSearchReport(data, out);
  if (args.json)
    printJson({
      ...rendered,
      searchId: id,
      status: statusName(info.status),
      winnerLatencyMs: latency?.p50Ms ?? null,
      // Every candidate the report lists, and the rank check's answer where the search ran one.
      candidates: [
        ...data.stages.flatMap((s) =>
          s.candidates.map((c) => ({ id: c.id, stage: c.stage, status: 'ok', reward: c.reward })),
        ),
        ...(data.unscored ?? []).map((u) => ({ id: u.id, stage: u.stage, status: u.status, reward: null })),
      ],
      rankingCheck: data.rankingCheck ?? null,
    });
  else {
    if (statusName(info.status) !== 'COMPLETED')
      console.error(`note: ${id} is ${statusName(info.status)}; the report shows it as of now`);
    if (latency)
      console.log(`winner ${latency.model}: ${latency.p50Ms.toFixed(2)} ms (${latencyNote(latency)})`);
    console.log(
      `wrote ${rendered.htmlPath} (${rendered.svgPaths.length} figures; ${candidates.length} candidates)`,
    );
  }
  return EXIT.ok;
}

export const searchCommand: Command = {
  summary: 'start, watch, list, control and report architecture searches',
  async run(argv) {
    const args = parseCommandArgs(argv, OPTIONS, USAGE);
    const [action] = args.positionals;
    if (args.help || !action) {
      console.log(USAGE);
      return args.help ? EXIT.ok : EXIT.usage;
    }
    const known = ['start', 'watch', 'list', 'pause', 'resume', 'cancel', 'report'];
    if (!known.includes(action)) throw new UsageError(`unknown search action '${action}'\n\n${USAGE}`);
    const rpc = searchRpc(args.config());
    try {
      if (action === 'start') return await start(rpc, args);
      if (action === 'list') return await list(rpc, args);
      if (action === 'report') return await report(rpc, args);
      if (action === 'watch')
        return exitCodeOfFinalStatus(
          await watchSearch(rpc, oneId(args, 'watch'), { out: process.stdout, json: args.json }),
        );
      return await control(rpc, args, action as 'pause' | 'resume' | 'cancel');
    } finally {
      rpc.close();
    }
  },
};
