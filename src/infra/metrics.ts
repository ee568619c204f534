import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { callPrimary, processIndex } from './cluster.ts';

/**
 * The process's Prometheus metrics (GET /metrics). One registry per process, created on first use, so several
 * apps in one process (tests) share it instead of registering twice.
 */
function build() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'checkin_', eventLoopMonitoringPrecision: 20 });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'checkin_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    socketsConnected: new Gauge({ name: 'checkin_sockets_connected', help: 'Connected sockets on this instance, by kind', labelNames: ['kind'], registers: [registry] }),
    punches: new Counter({ name: 'checkin_punches_total', help: 'Punches handled, by source and outcome', labelNames: ['source', 'outcome'], registers: [registry] }),
    punchAck: new Histogram({
      name: 'checkin_punch_ack_seconds',
      help: 'Time from receiving a socket punch to acknowledging it (after commit)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2],
      registers: [registry],
    }),
    punchBatch: new Histogram({
      name: 'checkin_punch_batch_size',
      help: 'Punches committed together in one transaction',
      buckets: [1, 2, 5, 10, 25, 50, 100, 256],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'checkin_job_duration_seconds',
      help: 'Job run time by job name (jobs run in this process)',
      labelNames: ['job', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    }),
    // Across API processes the deepest is reported: with BullMQ every process reads the same queue.
    queueDepth: new Gauge({ name: 'checkin_queue_jobs', help: 'Jobs in the queue by state (read at scrape time)', labelNames: ['state'], registers: [registry], aggregator: 'max' }),
  };
}

/**
 * The metrics a scrape gets: this process's, or, for one of several API processes, every process's aggregated by the
 * primary (prom-client's cluster aggregation: counters and histograms summed, gauges as each metric says).
 */
export async function scrape(): Promise<{ body: string; contentType: string }> {
  const m = metrics();
  if (processIndex() === null) return { body: await m.registry.metrics(), contentType: m.registry.contentType };
  return { body: await callPrimary<string>('metrics'), contentType: m.registry.contentType };
}

/** In the primary of several API processes: gathers and adds up their metrics (src/primary.ts). */
export const clusterMetrics = () => {
  const aggregator = new AggregatorRegistry();
  return () => aggregator.clusterMetrics();
};

let instance: ReturnType<typeof build> | null = null;

export function metrics() {
  if (instance) return instance;
  instance = build();
  // One of several API processes: the primary asks each for its registry when it is scraped.
  if (processIndex() !== null) {
    void new AggregatorRegistry();
    AggregatorRegistry.setRegistries([instance.registry]);
  }
  return instance;
}
