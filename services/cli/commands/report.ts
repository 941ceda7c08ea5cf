import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { renderSearchReport } from '../../report/render';
import { ReportDataError, validateReportData } from '../../report/report-data';
import { type Command, EXIT, UsageError } from '../command';

const USAGE = `usage: efficientbert report render --input FILE --out DIR [--json]

Renders a search report from the JSON a search writes: DIR/report.html (self-contained: figures
inlined as SVG, no scripts or external files) and each figure as DIR/<figure>.svg.
  --input FILE   the search results (see services/report/report-data.ts)
  --out DIR      output folder, created if missing; existing report files are overwritten
  --json         print {"htmlPath", "svgPaths"} instead of a sentence`;

function readInput(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --input ${file}: ${(err as Error).message}`, EXIT.failure);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--input ${file} is not JSON: ${(err as Error).message}`, EXIT.failure);
  }
}

async function render(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      input: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (!values.input || !values.out) throw new UsageError(`--input and --out are required\n\n${USAGE}`);
  let data: ReturnType<typeof validateReportData>;
  try {
    data = validateReportData(readInput(values.input));
  } catch (err) {
    if (err instanceof ReportDataError)
      throw new UsageError(`invalid search results in ${values.input}: ${err.message}`, EXIT.failure);
    throw err;
  }
  const result = await renderSearchReport(data, values.out);
  if (values.json) console.log(JSON.stringify(result));
  else console.log(`wrote ${result.htmlPath} and ${result.svgPaths.length} figures`);
  return EXIT.ok;
}

export const reportCommand: Command = {
  summary: 'render a search report (HTML with SVG figures) from search results',
  async run(argv) {
    const [name, ...rest] = argv;
    if (!name || name === '--help' || name === '-h') {
      console.log(USAGE);
      return name ? EXIT.ok : EXIT.usage;
    }
    if (name !== 'render') throw new UsageError(`unknown report subcommand '${name}'\n\n${USAGE}`);
    try {
      return await render(rest);
    } catch (err) {
      // parseArgs reports unknown or malformed options as TypeErrors with a code.
      if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
        throw new UsageError((err as Error).message);
      throw err;
    }
  },
};
