/**
 * Prometheus metrics in the text exposition format (version 0.0.4), served by node:http: counters,
 * gauges and histograms with labels, enough for the server's own metrics without a dependency.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type Labels = Record<string, string>;

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** `a="1",b="2"` with the label names sorted; called for every observation, so kept lean. */
function labelKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = '';
  for (const name of names) key += `${key ? ',' : ''}${name}="${escapeLabelValue(labels[name]!)}"`;
  return key;
}

function withLabels(name: string, key: string, extra = ''): string {
  const all = [key, extra].filter((s) => s.length > 0).join(',');
  return all ? `${name}{${all}}` : name;
}

interface Metric {
  render(): string[];
}

/** A counter or a gauge: one number per label set. */
export class ValueMetric implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: 'counter' | 'gauge' = 'counter',
  ) {}

  inc(labels: Labels, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }

  get(labels: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const [key, value] of this.values) lines.push(`${withLabels(this.name, key)} ${value}`);
    return lines;
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const key = labelKey(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { counts: this.bounds.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [key, s] of this.series) {
      for (const [i, bound] of this.bounds.entries()) {
        lines.push(`${withLabels(`${this.name}_bucket`, key, `le="${bound}"`)} ${s.counts[i]}`);
      }
      lines.push(`${withLabels(`${this.name}_bucket`, key, 'le="+Inf"')} ${s.count}`);
      lines.push(`${withLabels(`${this.name}_sum`, key)} ${s.sum}`);
      lines.push(`${withLabels(`${this.name}_count`, key)} ${s.count}`);
    }
    return lines;
  }
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The inference server's metrics. */
export class InferenceMetrics {
  readonly requests = new ValueMetric(
    'efficientbert_inference_requests_total',
    'Inference requests by model and outcome (a gRPC status name, e.g. ok, invalid_argument).',
  );
  readonly requestDuration = new Histogram(
    'efficientbert_inference_request_duration_seconds',
    'Time from receiving an inference request to answering it.',
    LATENCY_BUCKETS,
  );
  readonly queueDuration = new Histogram(
    'efficientbert_inference_queue_duration_seconds',
    'Time a request waited in the batching queue before its batch ran.',
    LATENCY_BUCKETS,
  );
  readonly batchSize = new Histogram(
    'efficientbert_inference_batch_size',
    'Rows per model execution.',
    [1, 2, 4, 8, 16, 32, 64, 128, 256],
  );
  readonly queueSize = new ValueMetric(
    'efficientbert_inference_queue_size',
    'Requests waiting in the batching queue.',
    'gauge',
  );

  render(): string {
    const metrics: Metric[] = [
      this.requests,
      this.requestDuration,
      this.queueDuration,
      this.batchSize,
      this.queueSize,
    ];
    return `${metrics.flatMap((m) => m.render()).join('\n')}\n`;
  }
}

/** Serves GET /metrics; resolves with the bound port (0 picks a free one). */
export function serveMetrics(
  metrics: InferenceMetrics,
  port: number,
  host: string,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(metrics.render());
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}
