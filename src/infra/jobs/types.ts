import type { ToolCallLLM } from '@llamaindex/core/llms';
import type { Config } from '../../config.ts';
import type { Em } from '../db.ts';
import type { Logger } from '../logger.ts';
import type { Broadcaster } from '../broadcast.ts';
import type { Bus } from '../bus.ts';
import type { Delivery } from '../socket-contract.ts';

/** Every job the hub runs. Names are `domain:verb`; each has exactly one handler (checked at start). */
export const JOB_NAMES = ['summaries:recompute', 'attendance:end-of-day', 'attendance:recompute', 'attendance:prune-changes', 'attendance:partition-punches', 'assistant:ask', 'sessions:prune', 'webhooks:fanout', 'webhooks:deliver', 'webhooks:sweep', 'webhooks:prune'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export type { Delivery };

/** What a handler returns: anything worth reporting (what it tells sockets goes through `broadcast`). */
export type JobResult = Record<string, unknown>;

export type JobContext = {
  em: Em;
  config: Config;
  log: Logger;
  jobs: Jobs;
  /**
   * What the job says to sockets, numbered or not: it travels through the job's progress, and every API instance
   * delivers it to its own sockets (streamed answers go out before the result, in order).
   */
  broadcast: Broadcaster;
  /** The bus of the process running the job, for the domain events a job makes (a day closed, a summary changed). */
  bus?: Bus;
  /** The assistant's language model when the starting process supplies one (tests); else the configuration decides. */
  llm?: ToolCallLLM;
};

export type JobHandler = (data: Record<string, unknown>, ctx: JobContext) => Promise<JobResult>;
export type JobHandlers = Record<JobName, JobHandler>;

export type AddOptions = {
  delayMs?: number;
  /** While a job with this id is waiting, adding another is a no-op; while it runs, one more run is kept for after. */
  dedupId?: string;
};

/** The queue as the rest of the code sees it: BullMQ on Redis, or in-process in the embedded mode. */
export interface Jobs {
  add(name: JobName, data: Record<string, unknown>, opts?: AddOptions): Promise<void>;
  /** Adds a job and waits for its result (used for on-demand runs such as re-running a past day). */
  run(name: JobName, data: Record<string, unknown>, timeoutMs?: number): Promise<JobResult>;
  /** Listens to the socket deliveries of every finished job, whichever process ran it. */
  onDeliveries(listener: (deliveries: Delivery[]) => void): () => void;
  /** Jobs by state, for /metrics. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Recurring jobs, the same in both modes. `at` is a local time ('HH:MM') in TIMEZONE. */
export type Schedule = { id: string; name: JobName; data: Record<string, unknown> } & ({ everyMs: number } | { at: string });

export function schedulesFor(config: Config): Schedule[] {
  return [
    { id: 'summaries-refresh', name: 'summaries:recompute', data: { all: true }, everyMs: config.jobs.summaryRefreshMinutes * 60_000 },
    { id: 'summaries-after-midnight', name: 'summaries:recompute', data: { all: true }, at: '00:05' },
    { id: 'attendance-end-of-day', name: 'attendance:end-of-day', data: {}, at: config.jobs.endOfDayTime },
    // Teams in other time zones reach their cut-off at other hours, and night shifts end after it: the run is cheap
    // and changes nothing twice, so it also comes every hour.
    { id: 'attendance-end-of-day-hourly', name: 'attendance:end-of-day', data: {}, everyMs: 3_600_000 },
    // Refresh tokens expired or used over a day ago (used ones are kept that long to recognise a copy coming back).
    { id: 'sessions-prune', name: 'sessions:prune', data: {}, at: '03:30' },
    // The attendance change feed keeps CHANGE_FEED_RETENTION_DAYS.
    { id: 'attendance-prune-changes', name: 'attendance:prune-changes', data: {}, at: '03:40' },
    // The partitions of `punches` for the coming months, and PUNCH_RETENTION_MONTHS.
    { id: 'attendance-partition-punches', name: 'attendance:partition-punches', data: {}, at: '03:20' },
    // Webhook deliveries whose job was lost (the embedded queue restarted, a crash between a write and an add).
    { id: 'webhooks-sweep', name: 'webhooks:sweep', data: {}, everyMs: 60_000 },
    // Webhook deliveries (and their batches) are kept WEBHOOK_RETENTION_DAYS.
    { id: 'webhooks-prune', name: 'webhooks:prune', data: {}, at: '03:50' },
  ];
}

/** Refuses to start unless every job name has exactly one handler and no handler is for an unknown name. */
export function assertHandlers(handlers: Partial<Record<string, JobHandler>>): asserts handlers is JobHandlers {
  const missing = JOB_NAMES.filter((name) => typeof handlers[name] !== 'function');
  const unknown = Object.keys(handlers).filter((name) => !(JOB_NAMES as readonly string[]).includes(name));
  if (missing.length || unknown.length) {
    throw new Error(`job handlers do not match job names: missing ${missing.join(', ') || 'none'}; unknown ${unknown.join(', ') || 'none'}`);
  }
}
