import type { Config } from '../../config.ts';
import type { Em } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import type { Delivery, JobHandler } from '../../infra/jobs/types.ts';
import type { Sequencer } from '../../infra/sequencer.ts';
import { addDays, isIsoDate, isoWeekday, localParts, minutesOf } from '../../infra/time.ts';
import { RECORD_COLUMNS, recordDto, type RecordDto, type RecordRow } from './attendance.records.ts';

type Changed = RecordRow & { name: string };

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
export async function closeDay(em: Em, config: Pick<Config, 'timezone'>, date: string): Promise<DayClose> {
  return em.transactional(async (tx) => {
    const absent = await tx.execute<Changed[]>(
      `with inserted as (
         insert into attendance (employee_id, team_id, attendance_date, status, notes, source, created_at, updated_at)
         select e.employee_id, e.team_id, ?::date, 'Absent', 'No check-in by the end of the day', 'system', now(), now()
           from employees e join teams t on t.team_id = e.team_id
          where e.active
            and t.working_weekdays @> to_jsonb(?::int)
            and (e.created_at at time zone ?)::date <= ?::date
         on conflict (employee_id, attendance_date) do nothing
         returning ${RECORD_COLUMNS}
       )
       select inserted.*, e.name from inserted join employees e on e.employee_id = inserted.employee_id`,
      [date, isoWeekday(date), config.timezone, date],
    );
    const flagged = await tx.execute<Changed[]>(
      `with flagged as (
         update attendance
            set missing_check_out = true,
                notes = case when notes is null or notes = '' then 'Missing check-out' else notes || ' · Missing check-out' end,
                updated_at = clock_timestamp()
          where attendance_date = ?::date and check_in_time is not null and check_out_time is null and not missing_check_out
         returning ${RECORD_COLUMNS}
       )
       select flagged.*, e.name from flagged join employees e on e.employee_id = flagged.employee_id`,
      [date],
    );
    const withName = (r: Changed) => ({ ...recordDto(r), name: r.name });
    return { date, absent: absent.map(withName), missing_check_out: flagged.map(withName) };
  });
}

/** Above this many changes in one team, boards get one "refresh" instead of a message per record. */
const MAX_EVENTS_PER_TEAM = 200;

/** Socket deliveries for a closed day: record changes (numbered per team), and the missing check-outs for managers. */
export async function dayCloseDeliveries(close: DayClose, sequencer: Sequencer): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  const byTeam = new Map<number | null, { action: 'created' | 'updated'; record: RecordDto & { name: string } }[]>();
  for (const record of close.absent) (byTeam.get(record.team_id) ?? byTeam.set(record.team_id, []).get(record.team_id)!).push({ action: 'created', record });
  for (const record of close.missing_check_out) (byTeam.get(record.team_id) ?? byTeam.set(record.team_id, []).get(record.team_id)!).push({ action: 'updated', record });
  for (const [teamId, changes] of byTeam) {
    const key = teamId === null ? 'none' : String(teamId);
    if (changes.length > MAX_EVENTS_PER_TEAM && teamId !== null) {
      const seq = await sequencer.next(key);
      deliveries.push({ rooms: [`team:${teamId}`], event: 'board:refresh', payload: { team_id: teamId, seq, reason: 'end_of_day', date: close.date } });
      continue;
    }
    for (const { action, record } of changes) {
      const { name, ...dto } = record;
      const seq = await sequencer.next(key);
      const rooms = [`user:${dto.employee_id}`, ...(teamId === null ? [] : [`team:${teamId}`])];
      deliveries.push({ rooms, event: 'attendance:changed', payload: { action, team_id: teamId, seq, record: dto, employee: { employee_id: dto.employee_id, name } } });
    }
  }
  const flaggedByTeam = new Map<number, DayClose['missing_check_out']>();
  for (const r of close.missing_check_out) if (r.team_id !== null) (flaggedByTeam.get(r.team_id) ?? flaggedByTeam.set(r.team_id, []).get(r.team_id)!).push(r);
  for (const [teamId, records] of flaggedByTeam) {
    deliveries.push({
      rooms: [`team:${teamId}`],
      event: 'attendance:missing_check_out',
      payload: {
        team_id: teamId,
        date: close.date,
        records: records.map((r) => ({ record_id: r.record_id, employee_id: r.employee_id, name: r.name, check_in_time: r.check_in_time })),
      },
    });
  }
  return deliveries;
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
  const deliveries: Delivery[] = [];
  const days: { date: string; absent: number; missing_check_out: number }[] = [];
  for (const date of dates) {
    const close = await closeDay(ctx.em, ctx.config, date);
    days.push({ date, absent: close.absent.length, missing_check_out: close.missing_check_out.length });
    deliveries.push(...(await dayCloseDeliveries(close, ctx.sequencer)));
  }
  if (days.some((d) => d.absent || d.missing_check_out)) await ctx.jobs.add('summaries:recompute', { all: true }, { dedupId: 'summaries:all' });
  return { days, deliveries };
};
