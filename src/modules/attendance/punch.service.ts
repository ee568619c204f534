import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { AppError, forbidden, isDatabaseDown, sqlState } from '../../infra/errors.ts';
import { groupCommitKey } from '../../infra/group-commit.ts';
import { metrics } from '../../infra/metrics.ts';
import { canChoosePunchTime, canPunchFor, forbiddenPunch, occurredAtNotAllowed, seesOnlyThemselves } from '../auth/index.ts';
import { actorOf } from '../audit/index.ts';
import type { Source } from './attendance.entity.ts';
import type { CheckResult } from './attendance.events.ts';
import { recordDto } from './attendance.records.ts';
import type { PunchIntent } from './day.rules.ts';
import { applyBatch, type BatchResult, type Incoming } from './punch.apply.ts';
import type { Who } from './punch.repository.ts';

export type { PunchIntent, Who };

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

export type PunchResult = CheckResult;

/** One punch waiting in a batch, with the promise of its caller. */
type Item = {
  ctx: Ctx;
  req: PunchRequest;
  now: Date;
  at: Date;
  resolve: (result: PunchResult) => void;
  reject: (error: unknown) => void;
  /** Set once the punch was tried again alone after the database refused it. */
  retriedAfterRowError?: boolean;
};

/**
 * The rules on who a punch is for and when it happened, once the person is known: kiosks of one team punch for its
 * members only; a user punches for whom the policy allows; `occurred_at` only from those who may correct the
 * person's records (kiosks replaying their offline queue, admins, the person's manager). An employee learns nothing
 * about a badge or id that is not their own: unknown, inactive or someone else's, the answer is the same 403.
 */
function checkPunch(ctx: Ctx, req: PunchRequest, who: Who | undefined): Who {
  const user = ctx.user;
  if (user && seesOnlyThemselves(user) && who?.employee_id !== user.employee_id) throw forbiddenPunch();
  if (!who) throw unknownPerson(req);
  if (req.restrictToTeam != null && who.team_id !== req.restrictToTeam) throw forbidden('This kiosk serves another team');
  if (!canPunchFor(user, who)) throw forbiddenPunch();
  if (req.occurred_at && !canChoosePunchTime(user, who)) throw occurredAtNotAllowed();
  if (!who.active) throw new AppError(403, 'employee_inactive', `${who.name} is not an active employee`);
  return who;
}

const unknownPerson = (req: PunchRequest) =>
  req.badge_id !== undefined
    ? new AppError(404, 'unknown_badge', 'This badge is not assigned to anyone')
    : new AppError(404, 'not_found', `Employee ${req.employee_id} not found`);

/**
 * Punches are written in batches (group commit, src/infra/group-commit.ts). On PostgreSQL one transaction at a time,
 * more only beside one stalled over 100 ms, up to 4. PGlite is one session in a thread of its own: two batches, the
 * next one gathered and queued while the database writes the other (its transactions still run one after the other).
 */
const PUNCH_BATCHES = groupCommitKey<Item>('punches', (config) => ({
  run: runBatch,
  maxBatch: 256,
  maxInFlight: config.database ? Math.max(1, Math.min(4, config.dbPoolMax - 1)) : 2,
  stallMs: config.database ? 100 : 0,
}));

/**
 * Records one punch and derives the day's attendance record from it, durably, before answering. A punch toggles
 * (`auto`: in if out, out if in) or says what it is (`check_in`, `check_out`: 409 when it contradicts the state); the
 * first arrival decides Present or Late against the person's shift; a double scan within PUNCH_DEBOUNCE_SECONDS is
 * kept but `ignored`. A repeated `client_event_id` returns the first result with `duplicate: true` and writes nothing.
 */
export function punch(ctx: Ctx, req: PunchRequest): Promise<PunchResult> {
  const user = ctx.user;
  // What an employee may not do is refused before anything is looked up, so the answer tells nothing about others.
  if (user && seesOnlyThemselves(user)) {
    if (req.employee_id !== undefined && req.employee_id !== user.employee_id) return Promise.reject(forbiddenPunch());
    if (req.occurred_at) return Promise.reject(occurredAtNotAllowed());
  }
  const now = new Date();
  return new Promise((resolve, reject) => ctx.commits.get(PUNCH_BATCHES).submit({ ctx, req, now, at: req.occurred_at ?? now, resolve, reject }));
}

const MAX_ATTEMPTS = 4;

function incoming(item: Item): Incoming {
  const { req, ctx } = item;
  return {
    employee_id: req.employee_id,
    badge_id: req.badge_id,
    client_event_id: req.client_event_id ?? null,
    at: item.at,
    now: item.now,
    intent: req.intent,
    source: req.source,
    device: ctx.device ?? null,
    check: (who) => checkPunch(ctx, req, who),
    // A punch by a person at a time they chose is a correction: the audit trail names who made it.
    auditAs: ctx.user && req.occurred_at ? actorOf(ctx) : null,
  };
}

async function runBatch(batch: Item[], split = false) {
  if (!split) metrics().punchBatch.observe(batch.length);
  try {
    finish(batch, await applyWithRetries(batch));
  } catch (error) {
    if (!isRowError(error)) {
      for (const item of batch) item.reject(error);
      return;
    }
    if (batch.length > 1) {
      // The database refused one punch's values (a row the checks could not foresee, a person deleted while the
      // batch was in flight): that failure is that punch's alone. Each half is applied on its own, down to the
      // punch that fails.
      const half = Math.ceil(batch.length / 2);
      await runBatch(batch.slice(0, half), true);
      await runBatch(batch.slice(half), true);
      return;
    }
    const [item] = batch;
    if (isForeignKeyError(error) && !item.retriedAfterRowError) {
      // What it referred to was deleted meanwhile: looked up again, the punch gets the answer it deserves now
      // (404 for a deleted employee) rather than the database's.
      item.retriedAfterRowError = true;
      return runBatch(batch, true);
    }
    item.ctx.log.warn({ err: error }, 'the database refused a punch');
    item.reject(new AppError(422, 'punch_refused', 'The database refused this punch’s values; check them and send it again'));
  }
}

/** A data exception (class 22) or a violated constraint (class 23): the values of a row, not the batch or the database. */
const isRowError = (error: unknown) => !isDatabaseDown(error) && /^2[23][0-9A-Z]{3}$/.test(sqlState(error));
const isForeignKeyError = (error: unknown) => sqlState(error) === '23503';

async function applyWithRetries(batch: Item[]): Promise<BatchResult> {
  const { config, em } = batch[0].ctx;
  const rules = {
    tz: config.timezone,
    maxShiftMs: config.punch.maxShiftHours * 3600_000,
    maxSkewMs: config.punch.maxSkewSeconds * 1000,
    maxAgeMs: config.punch.maxAgeHours * 3600_000,
    debounceMs: config.punch.debounceSeconds * 1000,
  };
  const sql = sqlOf(em);
  const input = batch.map(incoming);
  for (let attempt = 1; ; attempt++) {
    // Another transaction got there first (the same client_event_id, or the same new record): the next attempt
    // answers the duplicates from what it wrote and applies the rest again.
    const outcome = await applyBatch(sql, input, rules);
    if (outcome !== 'retry') return outcome;
    if (attempt >= MAX_ATTEMPTS) throw new AppError(503, 'busy', 'Too many punches for the same people at once; retry');
  }
}

/**
 * Answers each punch of a committed batch, then announces the changes in order (a double scan changes nothing and is
 * not announced).
 */
function finish(items: Item[], { outcomes }: BatchResult) {
  items.forEach((item, i) => {
    const o = outcomes[i];
    if (o.kind === 'refused') return item.reject(o.error);
    const record = recordDto(o.record, item.ctx.config.timezone);
    const employee = { employee_id: o.who.employee_id, name: o.who.name };
    if (o.kind === 'applied') item.ctx.bus.publish('punch.created', { action: o.action, record, employee });
    if (o.kind === 'applied' && o.action !== 'ignored') item.ctx.bus.publish('attendance.changed', { action: o.action, team_id: record.team_id, employee, record });
    item.resolve({ action: o.action, duplicate: o.kind === 'duplicate', record, employee });
  });
}
