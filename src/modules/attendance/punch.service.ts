import type { Ctx } from '../../infra/context.ts';
import type { Em } from '../../infra/db.ts';
import { AppError, forbidden } from '../../infra/errors.ts';
import { metrics } from '../../infra/metrics.ts';
import { localDate } from '../../infra/time.ts';
import type { Source } from './attendance.entity.ts';
import { DEFAULT_SCHEDULE, RECORD_COLUMNS, recordDto, type RecordDto, type RecordRow } from './attendance.records.ts';
import { applyBatch, type Decided } from './punch.batch.ts';
import type { PunchAction } from './punch.entity.ts';

export type PunchIntent = 'auto' | 'check_in' | 'check_out';

export type PunchRequest = {
  employee_id?: number;
  badge_id?: string;
  occurred_at?: Date;
  client_event_id?: string;
  source: Source;
  intent: PunchIntent;
  /** Kiosks restricted to one team may only punch its members. */
  restrictToTeam?: number | null;
};

export type PunchResult = { action: PunchAction; duplicate: boolean; record: RecordDto; employee: { employee_id: number; name: string } };

export type Who = { employee_id: number; name: string; active: boolean; team_id: number | null; badge_id: string | null; workday_start: string | null; grace_minutes: number | null };

/** One punch waiting in a batch, with the promise of its caller. */
type Item = {
  ctx: Ctx;
  req: PunchRequest;
  now: Date;
  at: Date;
  resolve: (result: PunchResult) => void;
  reject: (error: unknown) => void;
};

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** Employees by badge or id, with their team's schedule: one query for the whole batch. */
async function resolveAll(em: Em, items: Item[]) {
  const badges = [...new Set(items.flatMap((i) => (i.req.badge_id !== undefined ? [i.req.badge_id] : [])))];
  const ids = [...new Set(items.flatMap((i) => (i.req.employee_id !== undefined ? [i.req.employee_id] : [])))];
  const where = [badges.length ? `e.badge_id in (${marks(badges.length)})` : '', ids.length ? `e.employee_id in (${marks(ids.length)})` : '']
    .filter(Boolean)
    .join(' or ');
  const rows = where
    ? await em.execute<Who[]>(
        `select e.employee_id, e.name, e.active, e.team_id, e.badge_id, t.workday_start, t.grace_minutes
           from employees e left join teams t on t.team_id = e.team_id where ${where}`,
        [...badges, ...ids],
      )
    : [];
  const byBadge = new Map(rows.filter((r) => r.badge_id !== null).map((r) => [r.badge_id!, r]));
  const byId = new Map(rows.map((r) => [Number(r.employee_id), { ...r, employee_id: Number(r.employee_id), team_id: r.team_id == null ? null : Number(r.team_id) }]));
  return (req: PunchRequest): Who => {
    const who = req.badge_id !== undefined ? byId.get(Number(byBadge.get(req.badge_id)?.employee_id)) : byId.get(req.employee_id!);
    if (!who) {
      throw req.badge_id !== undefined
        ? new AppError(404, 'unknown_badge', 'This badge is not assigned to anyone')
        : new AppError(404, 'not_found', `Employee ${req.employee_id} not found`);
    }
    if (!who.active) throw new AppError(403, 'employee_inactive', `${who.name} is not an active employee`);
    return who;
  };
}

/** Employees punch for themselves; managers also for their team; admins and kiosks for anyone. */
function assertMayPunch(ctx: Ctx, req: PunchRequest, who: Who) {
  if (req.restrictToTeam != null && who.team_id !== req.restrictToTeam) {
    throw forbidden('This kiosk serves another team');
  }
  const user = ctx.user;
  if (!user) return; // a kiosk or the system
  if (user.access === 'admin' || user.employee_id === who.employee_id) return;
  if (user.access === 'manager' && user.team_id !== null && user.team_id === who.team_id) return;
  throw forbidden('You may only punch for yourself');
}

function assertPlausibleTime(ctx: Ctx, at: Date, now: Date) {
  const skewMs = ctx.config.punch.maxSkewSeconds * 1000;
  if (at.getTime() > now.getTime() + skewMs) {
    throw new AppError(422, 'occurred_in_future', 'occurred_at is in the future; check the device clock');
  }
  if (at.getTime() < now.getTime() - ctx.config.punch.maxAgeHours * 3600_000) {
    throw new AppError(422, 'occurred_too_old', `occurred_at is older than ${ctx.config.punch.maxAgeHours} hours; ask an admin to enter it`);
  }
}

type Earlier = RecordRow & { action: PunchAction; punch_employee_id: number; employee_name: string; client_event_id: string };

/** Earlier punches with these client_event_ids, with their records: one query. */
async function previousResults(em: Em, keys: string[]): Promise<Map<string, Earlier>> {
  if (!keys.length) return new Map();
  const rows = await em.execute<Earlier[]>(
    `select p.client_event_id, p.action, p.employee_id as punch_employee_id, e.name as employee_name,
            ${RECORD_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}
       from punches p join employees e on e.employee_id = p.employee_id left join attendance a on a.record_id = p.record_id
      where p.client_event_id in (${marks(keys.length)})`,
    keys,
  );
  return new Map(rows.map((r) => [r.client_event_id, r]));
}

function duplicateResult(row: Earlier, who: Who): PunchResult {
  if (Number(row.punch_employee_id) !== who.employee_id) {
    throw new AppError(409, 'client_event_id_conflict', 'This client_event_id was already used for another punch; generate a new one');
  }
  if (row.record_id == null) throw new AppError(410, 'record_deleted', 'This punch was already recorded, but its attendance record has since been deleted');
  return { action: row.action, duplicate: true, record: recordDto(row), employee: { employee_id: who.employee_id, name: row.employee_name } };
}

/**
 * Punches are applied in batches ("group commit"): while one batch is being written, new punches queue up, and the
 * next transaction takes them all. At low load a batch is a single punch and nothing waits; under a shift-change
 * burst, one transaction and a handful of statements carry hundreds of punches. Every caller is answered only
 * after its punch is committed.
 */
class PunchBatcher {
  readonly #queue: Item[] = [];
  #inFlight = 0;
  #idle: (() => void)[] = [];
  readonly #maxInFlight: number;
  readonly #maxBatch = 256;

  constructor(maxInFlight: number) {
    this.#maxInFlight = maxInFlight;
  }

  submit(item: Item) {
    received++;
    this.#queue.push(item);
    this.#pump();
  }

  /** Resolves once every punch received so far is committed and answered. */
  drain(): Promise<void> {
    if (!this.#inFlight && !this.#queue.length) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump() {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#inFlight++;
      void runBatch(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
        if (!this.#inFlight && !this.#queue.length) for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }
}

const allBatchers = new Set<PunchBatcher>();
let received = 0;

/**
 * Waits until every punch received by this process is committed and answered (graceful shutdown), including those
 * still arriving on open sockets: it returns once a short quiet period passes with nothing new.
 */
export async function drainPunches(quietMs = 150, maxMs = 5_000) {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const before = received;
    await Promise.all([...allBatchers].map((b) => b.drain()));
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    if (received === before || Date.now() > deadline) return;
  }
}

const batchers = new WeakMap<object, PunchBatcher>();

/** One batcher per database; PGlite has one connection, so one transaction at a time there. */
function batcherFor(ctx: Ctx): PunchBatcher {
  const key = ctx.em.getDriver();
  let batcher = batchers.get(key);
  if (!batcher) {
    batcher = new PunchBatcher(ctx.config.database ? Math.max(1, Math.min(4, ctx.config.dbPoolMax - 1)) : 1);
    batchers.set(key, batcher);
    allBatchers.add(batcher);
  }
  return batcher;
}

/**
 * Records one punch and derives the day's attendance record from it, durably, before answering.
 * The first punch of a local day opens the record (Present or Late); later ones set the check-out.
 * A repeated `client_event_id` returns the first result with `duplicate: true` and writes nothing.
 */
export function punch(ctx: Ctx, req: PunchRequest): Promise<PunchResult> {
  const now = new Date();
  return new Promise((resolve, reject) => batcherFor(ctx).submit({ ctx, req, now, at: req.occurred_at ?? now, resolve, reject }));
}

const MAX_ATTEMPTS = 4;

type Checked = Item & { who: Who };

async function runBatch(batch: Item[]) {
  metrics().punchBatch.observe(batch.length);
  const em = batch[0].ctx.em.fork() as Em;
  let pending: Item[] = batch;
  try {
    const who = await resolveAll(em, pending);
    // Checks that need no transaction: who, may they, an earlier answer for the same id, a plausible time.
    const earlier = await previousResults(em, [...new Set(pending.flatMap((i) => (i.req.client_event_id ? [i.req.client_event_id] : [])))]);
    const ready: Checked[] = [];
    for (const item of pending) {
      try {
        const w = who(item.req);
        assertMayPunch(item.ctx, item.req, w);
        const previous = item.req.client_event_id ? earlier.get(item.req.client_event_id) : undefined;
        // A retry is answered from the first result even when its time has since left the accepted window.
        if (previous) {
          item.resolve(duplicateResult(previous, w));
          continue;
        }
        assertPlausibleTime(item.ctx, item.at, item.now);
        ready.push({ ...item, who: w });
      } catch (error) {
        item.reject(error);
      }
    }
    let work: Checked[] = ready;
    pending = work;
    for (let attempt = 1; work.length; attempt++) {
      const outcome = await applyBatch(em, work.map((i) => toDecidable(i)));
      if (outcome.kind === 'retry' && attempt < MAX_ATTEMPTS) {
        // Another transaction got there first (the same client_event_id, or the same new record): answer the
        // duplicates from what it wrote and apply the rest again.
        const again = await previousResults(em, outcome.takenKeys);
        work = work.filter((item) => {
          const previous = item.req.client_event_id ? again.get(item.req.client_event_id) : undefined;
          if (!previous) return true;
          try {
            item.resolve(duplicateResult(previous, item.who));
          } catch (error) {
            item.reject(error);
          }
          return false;
        });
        pending = work;
        continue;
      }
      if (outcome.kind === 'retry') throw new AppError(503, 'busy', 'Too many punches for the same people at once; retry');
      finish(work, outcome.decided);
      work = [];
      pending = [];
    }
  } catch (error) {
    for (const item of pending) item.reject(error);
  }
}

function toDecidable(item: Checked) {
  const schedule = item.who.workday_start ? { workday_start: item.who.workday_start, grace_minutes: item.who.grace_minutes ?? 0 } : DEFAULT_SCHEDULE;
  return {
    who: item.who,
    at: item.at,
    now: item.now,
    day: localDate(item.at, item.ctx.config.timezone),
    tz: item.ctx.config.timezone,
    schedule,
    intent: item.req.intent,
    source: item.req.source,
    device: item.ctx.device ?? null,
    client_event_id: item.req.client_event_id ?? null,
    maxShiftMs: item.ctx.config.punch.maxShiftHours * 3600_000,
  };
}

/** Answers each punch of a committed batch, then announces the changes in order. */
function finish(items: Checked[], decided: Decided[]) {
  items.forEach((item, i) => {
    const d = decided[i];
    if ('error' in d) return item.reject(d.error);
    if ('duplicateOf' in d) {
      const leader = decided[d.duplicateOf];
      if ('record' in leader) item.resolve({ action: leader.action, duplicate: true, record: recordDto(leader.record), employee: { employee_id: item.who.employee_id, name: item.who.name } });
      else item.reject('error' in leader ? leader.error : new AppError(409, 'duplicate_in_flight', 'The same client_event_id is being processed; retry'));
      return;
    }
    const record = recordDto(d.record);
    const employee = { employee_id: item.who.employee_id, name: item.who.name };
    item.ctx.bus.publish('attendance.changed', { action: d.action, team_id: record.team_id, employee, record });
    item.resolve({ action: d.action, duplicate: false, record, employee });
  });
}
