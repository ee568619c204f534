import type { Config } from '../../config.ts';
import { rooms, type Broadcaster } from '../../infra/broadcast.ts';
import { sqlOf, type SqlDb } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import type { JobHandler } from '../../infra/jobs/types.ts';
import { delivery } from '../../infra/socket-contract.ts';
import { addDays, isIsoDate, localParts, minutesOf } from '../../infra/time.ts';
import { employees } from '../employees/index.ts';
import { changeToSockets } from './attendance.broadcasts.ts';
import { figuresOf, recordFigures, refreshWeeks } from './attendance.figures.ts';
import { intervalsOf, recordDto, type RecordDto, type RecordRow } from './attendance.records.ts';
import { attendance } from './attendance.repository.ts';
import type { DayClose } from './attendance.events.ts';
import { AFTER_SHIFT_MS } from './day.rules.ts';
import { loadPlanning } from './planning.ts';


/** A day may be closed once its cut-off has passed in TIMEZONE: never ahead of time, so nobody is marked absent early. */
export function assertClosable(config: Pick<Config, 'timezone' | 'jobs'>, date: string, now = new Date()) {
  if (!isIsoDate(date)) throw new AppError(422, 'validation_error', 'date must be YYYY-MM-DD');
  if (!closable(config.timezone, config.jobs.endOfDayTime, date, now)) {
    throw new AppError(409, 'day_not_over', `${date} is not over yet: it can be closed after ${config.jobs.endOfDayTime} (${config.timezone})`);
  }
}

/** Whether `date` is past its cut-off in a zone. */
function closable(tz: string, cutoff: string, date: string, now: Date) {
  const local = localParts(now, tz);
  return date < local.date || (date === local.date && local.minutes >= minutesOf(cutoff));
}

/** The moment an open stay is over for good: its shift's end plus the margin a punch may still come in, or a whole shift. */
function stayOver(plan: { end: Date | null }, firstIn: string, maxShiftHours: number) {
  return new Date(plan.end ? plan.end.getTime() + AFTER_SHIFT_MS : Date.parse(firstIn) + maxShiftHours * 3_600_000);
}

/**
 * Closes one local day for the teams whose cut-off has passed in their own zone. Every person the schedules expect
 * that day (their shift, no holiday) with no record gets Absent (source system); a leave record counts as a record.
 * A stay still open once its shift is over (plus the time a late punch may come) is, by the team's
 * `missing_check_out`, flagged, or closed at the shift's end and marked `auto_closed`; a night shift still running is
 * left for a later run. Idempotent: a second run finds nothing left to do and changes nothing.
 */
export async function closeDay(sql: SqlDb, config: Pick<Config, 'timezone' | 'jobs' | 'punch'>, date: string, now = new Date()): Promise<DayClose> {
  return sql.transaction(async (tx) => {
    const planning = await loadPlanning(tx, config.timezone, date, date);
    const grid = await planning.expectedGrid(date, date, null);
    const due = (teamId: number | null) => closable(planning.tzOf(teamId), config.jobs.endOfDayTime, date, now);
    grid.teamDays = grid.teamDays.filter((d) => due(d.team_id));
    const dueTeams = new Map<number, boolean>();
    const teamOf = await employees.teamsOf(tx, grid.personDays.map((d) => d.employee_id));
    grid.personDays = grid.personDays.filter((d) => {
      const team = teamOf.get(d.employee_id)?.team_id ?? null;
      if (team !== null && !dueTeams.has(team)) dueTeams.set(team, due(team));
      return team !== null && dueTeams.get(team);
    });
    const absent = await attendance.markAbsent(tx, date, config.timezone, grid);
    const open = await attendance.openOn(tx, date, null);
    const flagged: RecordRow[] = [];
    const closed: RecordRow[] = [];
    for (const row of open) {
      const teamId = row.team_id == null ? null : Number(row.team_id);
      const plan = planning.plan(Number(row.employee_id), teamId, date);
      const intervals = intervalsOf(row);
      if (now < stayOver(plan, intervals[intervals.length - 1].check_in_time, config.punch.maxShiftHours)) continue;
      const last = intervals[intervals.length - 1];
      const closeAt = plan.end && plan.end.getTime() > Date.parse(last.check_in_time) ? plan.end : null;
      if (planning.team(teamId)?.missing_check_out === 'close_at_shift_end' && closeAt) {
        const next = [...intervals.slice(0, -1), { check_in_time: last.check_in_time, check_out_time: closeAt.toISOString(), auto_closed: true }];
        const notes = row.notes ? `${row.notes} · Closed at the shift's end (no check-out)` : "Closed at the shift's end (no check-out)";
        closed.push({ ...row, ...recordFigures({ intervals: next, plan, current: row.status, notes, missing_check_out: false, intervals_edited: Boolean(row.intervals_edited), weekly_overtime_minutes: Number(row.weekly_overtime_minutes) }) });
      } else {
        const notes = row.notes ? `${row.notes} · Missing check-out` : 'Missing check-out';
        flagged.push({ ...row, missing_check_out: true, notes });
      }
    }
    const written = await attendance.setFigures(tx, [...flagged, ...closed].map((r) => ({ record_id: Number(r.record_id), ...figuresOf(r) })));
    if (closed.length) await refreshWeeks(tx, planning, closed);
    const names = new Map(open.map((r) => [Number(r.record_id), r.name]));
    const withName = (r: RecordRow & { name?: string }) => ({ ...recordDto(r, config.timezone), name: r.name ?? names.get(Number(r.record_id)) ?? '' });
    const byId = new Map(written.map((r) => [Number(r.record_id), r]));
    return {
      date,
      absent: absent.map(withName),
      missing_check_out: flagged.map((r) => withName(byId.get(Number(r.record_id)) ?? r)),
      auto_closed: closed.map((r) => withName(byId.get(Number(r.record_id)) ?? r)),
    };
  });
}

/** Above this many changes in one team, boards get one "refresh" instead of a message per record. */
const MAX_EVENTS_PER_TEAM = 200;

/** Tells the sockets about a closed day: record changes (numbered per team), and the missing check-outs for managers. */
export async function announceDayClose(close: DayClose, broadcast: Broadcaster) {
  const byTeam = new Map<number | null, { action: 'created' | 'updated'; record: RecordDto & { name: string } }[]>();
  const add = (action: 'created' | 'updated', record: RecordDto & { name: string }) => {
    const list = byTeam.get(record.team_id);
    if (list) list.push({ action, record });
    else byTeam.set(record.team_id, [{ action, record }]);
  };
  for (const record of close.absent) add('created', record);
  for (const record of [...close.missing_check_out, ...close.auto_closed]) add('updated', record);
  const sends: Promise<void>[] = [];
  for (const [teamId, changes] of byTeam) {
    if (changes.length > MAX_EVENTS_PER_TEAM && teamId !== null) {
      sends.push(broadcast.numbered([{ team: teamId, deliver: (seq) => delivery([rooms.team(teamId)], 'board:refresh', { team_id: teamId, seq, reason: 'end_of_day', date: close.date }) }]));
      continue;
    }
    sends.push(
      broadcast.numbered(
        changes.map(({ action, record: { name, ...record } }) => changeToSockets({ action, team_id: teamId, record, employee: { employee_id: record.employee_id, name } })),
      ),
    );
  }
  const flaggedByTeam = new Map<number, DayClose['missing_check_out']>();
  for (const r of close.missing_check_out) if (r.team_id !== null) (flaggedByTeam.get(r.team_id) ?? flaggedByTeam.set(r.team_id, []).get(r.team_id)!).push(r);
  broadcast.send(
    [...flaggedByTeam].map(([teamId, records]) =>
      delivery([rooms.team(teamId)], 'attendance:missing_check_out', {
        team_id: teamId,
        date: close.date,
        records: records.map((r) => ({ record_id: r.record_id, employee_id: r.employee_id, name: r.name, check_in_time: r.check_in_time })),
      }),
    ),
  );
  await Promise.all(sends);
}

/**
 * `attendance:end-of-day` { date? }: closes `date`, or else today (once past the cut-off) and the days before it
 * back to END_OF_DAY_CATCHUP_DAYS, so days missed during an outage are closed too. Safe to re-run.
 */
export const endOfDayJob: JobHandler = async (data, ctx) => {
  const now = new Date();
  const today = localParts(now, ctx.config.timezone).date;
  let dates: string[];
  if (typeof data.date === 'string') {
    assertClosable(ctx.config, data.date, now);
    dates = [data.date];
  } else {
    // Today and the days before it: a team in another zone reaches its cut-off at another hour, a night shift may
    // only be over now. Each team's cut-off is checked in its own zone.
    dates = [];
    for (let i = ctx.config.jobs.endOfDayCatchupDays; i >= 0; i--) dates.push(addDays(today, -i));
  }
  const days: { date: string; absent: number; missing_check_out: number; auto_closed: number }[] = [];
  for (const date of dates) {
    const close = await closeDay(sqlOf(ctx.em), ctx.config, date, now);
    days.push({ date, absent: close.absent.length, missing_check_out: close.missing_check_out.length, auto_closed: close.auto_closed.length });
    await announceDayClose(close, ctx.broadcast);
    if (close.absent.length || close.missing_check_out.length || close.auto_closed.length) ctx.bus?.publish('day.closed', close);
  }
  if (days.some((d) => d.absent || d.missing_check_out || d.auto_closed)) await ctx.jobs.add('summaries:recompute', { all: true }, { dedupId: 'summaries:all' });
  return { days };
};
