import type { Ctx } from '../../infra/context.ts';
import type { Em } from '../../infra/db.ts';
import { AppError, forbidden } from '../../infra/errors.ts';
import { localDate } from '../../infra/time.ts';
import type { Source } from './attendance.entity.ts';
import { arrivalStatus, CLEAR_MISSING_CHECK_OUT, DEFAULT_SCHEDULE, RECORD_COLUMNS, recordDto, type RecordDto, type RecordRow } from './attendance.records.ts';
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

type Who = { employee_id: number; name: string; active: boolean; team_id: number | null; workday_start: string | null; grace_minutes: number | null };

const WHO_SQL = `select e.employee_id, e.name, e.active, e.team_id, t.workday_start, t.grace_minutes
  from employees e left join teams t on t.team_id = e.team_id`;

async function resolveEmployee(em: Em, req: PunchRequest): Promise<Who> {
  const rows = req.badge_id !== undefined
    ? await em.execute<Who[]>(`${WHO_SQL} where e.badge_id = ?`, [req.badge_id])
    : await em.execute<Who[]>(`${WHO_SQL} where e.employee_id = ?`, [req.employee_id]);
  const who = rows[0];
  if (!who) {
    throw req.badge_id !== undefined
      ? new AppError(404, 'unknown_badge', 'This badge is not assigned to anyone')
      : new AppError(404, 'not_found', `Employee ${req.employee_id} not found`);
  }
  if (!who.active) throw new AppError(403, 'employee_inactive', `${who.name} is not an active employee`);
  return who;
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

type PunchRow = { punch_id: number; employee_id: number; action: PunchAction; record_id: number | null };

async function previousResult(em: Em, clientEventId: string, employeeId: number): Promise<PunchResult | null> {
  const rows = await em.execute<(PunchRow & RecordRow & { punch_employee_id: number; employee_name: string })[]>(
    `select p.action, p.employee_id as punch_employee_id, e.name as employee_name, ${RECORD_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}
       from punches p join employees e on e.employee_id = p.employee_id left join attendance a on a.record_id = p.record_id
      where p.client_event_id = ?`,
    [clientEventId],
  );
  const row = rows[0];
  if (!row) return null;
  if (Number(row.punch_employee_id) !== employeeId) {
    throw new AppError(409, 'client_event_id_conflict', 'This client_event_id was already used for another punch; generate a new one');
  }
  if (row.record_id == null) throw new AppError(410, 'record_deleted', 'This punch was already recorded, but its attendance record has since been deleted');
  return { action: row.action, duplicate: true, record: recordDto(row), employee: { employee_id: employeeId, name: row.employee_name } };
}

/**
 * Records one punch and derives the day's attendance record from it, in one transaction.
 * The first punch of a local day opens the record (Present or Late); later ones set the check-out.
 * A repeated `client_event_id` returns the first result with `duplicate: true` and writes nothing.
 */
export async function punch(ctx: Ctx, req: PunchRequest): Promise<PunchResult> {
  const now = new Date();
  const at = req.occurred_at ?? now;
  // Who and may-they come first: a replayed client_event_id must not bypass the permission check.
  const who = await resolveEmployee(ctx.em, req);
  assertMayPunch(ctx, req, who);
  // A retry is answered from the first result even when its time has since left the accepted window.
  if (req.client_event_id) {
    const earlier = await previousResult(ctx.em, req.client_event_id, who.employee_id);
    if (earlier) return earlier;
  }
  assertPlausibleTime(ctx, at, now);
  const day = localDate(at, ctx.config.timezone);
  const schedule = who.workday_start ? { workday_start: who.workday_start, grace_minutes: who.grace_minutes ?? 0 } : DEFAULT_SCHEDULE;

  const outcome = await ctx.em.transactional(async (em) => {
    const inserted = await em.execute<{ punch_id: number }[]>(
      `insert into punches (employee_id, occurred_at, received_at, source, device, client_event_id, action)
       values (?, ?, ?, ?, ?, ?, 'check_in')
       on conflict (client_event_id) do nothing returning punch_id`,
      [who.employee_id, at, now, req.source, ctx.device ?? null, req.client_event_id ?? null],
    );
    if (inserted.length === 0) return { duplicateOf: req.client_event_id! };
    const punchId = inserted[0].punch_id;
    const { action, record } = await applyPunch(em, { who, day, at, schedule, tz: ctx.config.timezone, intent: req.intent, source: req.source });
    await em.execute('update punches set action = ?, record_id = ? where punch_id = ?', [action, record.record_id, punchId]);
    return { action, record };
  });

  if ('duplicateOf' in outcome) {
    // Another request with the same id committed first: answer with its result.
    const earlier = await previousResult(ctx.em, String(outcome.duplicateOf), who.employee_id);
    if (!earlier) throw new AppError(409, 'duplicate_in_flight', 'The same client_event_id is being processed; retry');
    return earlier;
  }
  const record = recordDto(outcome.record);
  ctx.bus.publish('attendance.changed', {
    action: outcome.action,
    team_id: record.team_id,
    employee: { employee_id: who.employee_id, name: who.name },
    record,
  });
  return { action: outcome.action, duplicate: false, record, employee: { employee_id: who.employee_id, name: who.name } };
}

type Apply = {
  who: Who;
  day: string;
  at: Date;
  schedule: { workday_start: string; grace_minutes: number };
  tz: string;
  intent: PunchIntent;
  source: Source;
};

const notCheckedIn = () => new AppError(409, 'not_checked_in', 'There is no check-in to close today');

/** Applies a punch to the (locked) record of that employee and day. Must run inside a transaction. */
async function applyPunch(em: Em, p: Apply): Promise<{ action: PunchAction; record: RecordRow }> {
  const lock = () =>
    em.execute<RecordRow[]>(`select ${RECORD_COLUMNS} from attendance where employee_id = ? and attendance_date = ? for update`, [
      p.who.employee_id,
      p.day,
    ]);
  let [current] = await lock();
  if (!current) {
    if (p.intent === 'check_out') throw notCheckedIn();
    const created = await em.execute<RecordRow[]>(
      `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, source, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, now(), now())
       on conflict (employee_id, attendance_date) do nothing returning ${RECORD_COLUMNS}`,
      [p.who.employee_id, p.who.team_id, p.day, arrivalStatus(p.at, p.schedule, p.tz), p.at, p.source],
    );
    if (created[0]) return { action: 'check_in', record: created[0] };
    [current] = await lock(); // a concurrent punch created it first
  }
  const checkIn = current.check_in_time ? new Date(current.check_in_time) : null;
  const checkOut = current.check_out_time ? new Date(current.check_out_time) : null;
  let action: PunchAction;
  let next: { status: string; check_in_time: Date | null; check_out_time: Date | null };
  if (!checkIn) {
    if (p.intent === 'check_out') throw notCheckedIn();
    // A record made by hand or by the end-of-day rule (Absent) gets its arrival now.
    const status = current.status === 'Absent' ? arrivalStatus(p.at, p.schedule, p.tz) : current.status;
    action = 'check_in';
    next = { status, check_in_time: p.at, check_out_time: checkOut };
  } else if (p.intent === 'check_in') {
    throw new AppError(409, 'already_checked_in', `Already checked in today at ${checkIn.toISOString()}; use check-out`);
  } else if (p.at < checkIn) {
    // A late-arriving offline punch that happened before the known check-in becomes the check-in.
    const status = current.status === 'Present' || current.status === 'Late' ? arrivalStatus(p.at, p.schedule, p.tz) : current.status;
    action = 'check_in';
    next = { status, check_in_time: p.at, check_out_time: checkOut ?? checkIn };
  } else {
    action = 'check_out';
    next = { status: current.status, check_in_time: checkIn, check_out_time: checkOut && checkOut > p.at ? checkOut : p.at };
  }
  const [updated] = await em.execute<RecordRow[]>(
    `update attendance set status = ?, check_in_time = ?, check_out_time = ?, ${CLEAR_MISSING_CHECK_OUT}, updated_at = now()
      where record_id = ? returning ${RECORD_COLUMNS}`,
    [next.status, next.check_in_time, next.check_out_time, next.check_out_time, next.check_out_time, current.record_id],
  );
  return { action, record: updated };
}
