import type { Config } from '../../config.ts';
import { rooms, type Broadcaster } from '../../infra/broadcast.ts';
import { sqlOf, type SqlDb } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import type { JobHandler } from '../../infra/jobs/types.ts';
import { delivery } from '../../infra/socket-contract.ts';
import { addDays, isIsoDate, isoWeekday, localParts, minutesOf } from '../../infra/time.ts';
import { changeToSockets } from './attendance.broadcasts.ts';
import { attendance } from './attendance.repository.ts';
import { recordDto, type RecordDto, type RecordRow } from './attendance.records.ts';

export type DayClose = { date: string; absent: (RecordDto & { name: string })[]; missing_check_out: (RecordDto & { name: string })[] };

/** A day may be closed once its cut-off has passed in TIMEZONE: never ahead of time, so nobody is marked absent early. */
export function assertClosable(config: Pick<Config, 'timezone' | 'jobs'>, date: string, now = new Date()) {
  if (!isIsoDate(date)) throw new AppError(422, 'validation_error', 'date must be YYYY-MM-DD');
  const local = localParts(now, config.timezone);
  if (date > local.date || (date === local.date && local.minutes < minutesOf(config.jobs.endOfDayTime))) {
    throw new AppError(409, 'day_not_over', `${date} is not over yet: it can be closed after ${config.jobs.endOfDayTime} (${config.timezone})`);
  }
}

/**
 * Closes one local day. Every active team member expected that day (their team works that weekday) with no record
 * gets Absent (source system); a leave record counts as a record. Check-ins without a check-out are flagged, not
 * closed. Idempotent: a second run finds nothing left to do and changes nothing.
 */
export async function closeDay(sql: SqlDb, config: Pick<Config, 'timezone'>, date: string): Promise<DayClose> {
  return sql.transaction(async (tx) => {
    const absent = await attendance.markAbsent(tx, date, isoWeekday(date), config.timezone);
    const flagged = await attendance.flagMissingCheckOuts(tx, date);
    const withName = (r: RecordRow & { name: string }) => ({ ...recordDto(r), name: r.name });
    return { date, absent: absent.map(withName), missing_check_out: flagged.map(withName) };
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
  for (const record of close.missing_check_out) add('updated', record);
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
    dates = [];
    for (let i = ctx.config.jobs.endOfDayCatchupDays; i >= 0; i--) dates.push(addDays(today, -i));
    dates = dates.filter((d) => {
      try {
        assertClosable(ctx.config, d, now);
        return true;
      } catch {
        return false;
      }
    });
  }
  const days: { date: string; absent: number; missing_check_out: number }[] = [];
  for (const date of dates) {
    const close = await closeDay(sqlOf(ctx.em), ctx.config, date);
    days.push({ date, absent: close.absent.length, missing_check_out: close.missing_check_out.length });
    await announceDayClose(close, ctx.broadcast);
  }
  if (days.some((d) => d.absent || d.missing_check_out)) await ctx.jobs.add('summaries:recompute', { all: true }, { dedupId: 'summaries:all' });
  return { days };
};
