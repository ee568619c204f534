import * as v from 'valibot';
import { Id, IdString, IsoDate, NonEmpty, Pagination } from '../../infra/schemas.ts';
import { shiftSpanMinutes } from './schedule.rules.ts';

const HHMM = (name: string) => v.pipe(v.string(`${name} must be HH:MM`), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, `${name} must be HH:MM (24-hour)`));

export const ShiftIn = v.pipe(
  v.object({
    week: v.optional(v.pipe(v.number('week must be a number'), v.integer('week must be an integer'), v.minValue(1, 'week must be at least 1'), v.maxValue(52, 'week must be at most 52')), 1),
    weekday: v.pipe(v.number('weekday must be a number'), v.integer('weekday must be an integer'), v.minValue(1, 'weekday must be 1 (Monday) to 7 (Sunday)'), v.maxValue(7, 'weekday must be 1 (Monday) to 7 (Sunday)')),
    start: HHMM('start'),
    end: HHMM('end'),
    break_minutes: v.optional(v.pipe(v.number('break_minutes must be a number'), v.integer('break_minutes must be an integer'), v.minValue(0, 'break_minutes must not be negative'), v.maxValue(720, 'break_minutes must be at most 720')), 0),
  }),
  v.forward(v.check((s) => s.start !== s.end, 'end must differ from start (an end before the start is the next day)'), ['end']),
  v.forward(v.check((s) => s.break_minutes < shiftSpanMinutes(s), 'break_minutes must be shorter than the shift'), ['break_minutes']),
);

const CycleWeeks = v.pipe(v.number('cycle_weeks must be a number'), v.integer('cycle_weeks must be an integer'), v.minValue(1, 'cycle_weeks must be at least 1'), v.maxValue(52, 'cycle_weeks must be at most 52'));
const Grace = v.pipe(v.number('grace_minutes must be a number'), v.integer('grace_minutes must be an integer'), v.minValue(0, 'grace_minutes must not be negative'), v.maxValue(240, 'grace_minutes must be at most 240'));
const Shifts = v.pipe(v.array(ShiftIn, 'shifts must be a list'), v.maxLength(7 * 52 * 3, 'too many shifts'));

/** Shifts of a cycle: each in one of its weeks, and no two overlapping on the same day. */
function shiftProblems(s: { cycle_weeks: number; shifts: v.InferOutput<typeof ShiftIn>[] }): string | null {
  for (const shift of s.shifts) if (shift.week > s.cycle_weeks) return `a shift is in week ${shift.week}, beyond cycle_weeks (${s.cycle_weeks})`;
  const byDay = new Map<string, { from: number; to: number }[]>();
  for (const shift of s.shifts) {
    const key = `${shift.week}-${shift.weekday}`;
    const [h, m] = shift.start.split(':').map(Number);
    const from = h * 60 + m;
    const range = { from, to: from + shiftSpanMinutes(shift) };
    for (const other of byDay.get(key) ?? []) {
      if (range.from < other.to && other.from < range.to) return `two shifts overlap on weekday ${shift.weekday} of week ${shift.week}`;
    }
    byDay.set(key, [...(byDay.get(key) ?? []), range]);
  }
  return null;
}

export const ScheduleCreate = v.pipe(
  v.object({
    name: NonEmpty('name', 100),
    cycle_weeks: v.optional(CycleWeeks, 1),
    starts_on: v.optional(IsoDate('starts_on')),
    grace_minutes: v.optional(Grace, 5),
    shifts: Shifts,
  }),
  v.forward(v.check((s) => shiftProblems(s) === null, 'shifts must fit the cycle and must not overlap'), ['shifts']),
);

export const ScheduleUpdate = v.object({
  name: v.optional(NonEmpty('name', 100)),
  cycle_weeks: v.optional(CycleWeeks),
  starts_on: v.optional(IsoDate('starts_on')),
  grace_minutes: v.optional(Grace),
  shifts: v.optional(Shifts),
  /** From which day the change applies (default: today); records from that day to today are recomputed. */
  valid_from: v.optional(IsoDate('valid_from')),
});

const ShiftOut = v.object({ week: v.number(), weekday: v.number(), start: v.string(), end: v.string(), break_minutes: v.number() });

export const ScheduleOut = v.object({
  schedule_id: v.number(),
  name: v.string(),
  cycle_weeks: v.number(),
  starts_on: v.pipe(v.string(), v.isoDate()),
  grace_minutes: v.number(),
  shifts: v.array(ShiftOut),
  version: v.pipe(v.number(), v.description('Raised by every change of the pattern; records name the version that decided them.')),
  valid_from: v.pipe(v.string(), v.isoDate(), v.description('The day this version applies from.')),
  owner_team_id: v.pipe(v.nullable(v.number()), v.description('Set when the schedule holds a team’s own start time, grace and weekdays.')),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  updated_at: v.pipe(v.string(), v.isoTimestamp()),
});

export const ScheduleVersionOut = v.object({
  schedule_id: v.number(),
  version: v.number(),
  valid_from: v.pipe(v.string(), v.isoDate()),
  cycle_weeks: v.number(),
  starts_on: v.pipe(v.string(), v.isoDate()),
  grace_minutes: v.number(),
  shifts: v.array(ShiftOut),
});

export const ScheduleParams = v.object({ schedule_id: IdString('schedule_id') });
export const ScheduleListQuery = v.object({ ...Pagination });

export const AssignmentCreate = v.pipe(
  v.object({
    schedule_id: Id('schedule_id'),
    valid_from: IsoDate('valid_from'),
    valid_to: v.optional(v.nullable(IsoDate('valid_to')), null),
  }),
  v.forward(v.check((a) => a.valid_to === null || a.valid_to >= a.valid_from, 'valid_to must not be before valid_from'), ['valid_to']),
);

export const AssignmentOut = v.object({
  assignment_id: v.number(),
  employee_id: v.number(),
  schedule_id: v.number(),
  schedule_name: v.string(),
  valid_from: v.pipe(v.string(), v.isoDate()),
  valid_to: v.nullable(v.pipe(v.string(), v.isoDate())),
});

export const AssignmentParams = v.object({ employee_id: IdString('employee_id') });
export const AssignmentItemParams = v.object({ employee_id: IdString('employee_id'), assignment_id: IdString('assignment_id') });

export const HolidayCreate = v.object({
  date: IsoDate('date'),
  name: NonEmpty('name', 100),
  team_id: v.optional(v.nullable(Id('team_id')), null),
});

export const HolidayOut = v.object({
  holiday_id: v.number(),
  date: v.pipe(v.string(), v.isoDate()),
  name: v.string(),
  team_id: v.pipe(v.nullable(v.number()), v.description('null: the whole organisation')),
});

export const HolidayParams = v.object({ holiday_id: IdString('holiday_id') });
export const HolidayListQuery = v.object({
  ...Pagination,
  date_from: v.optional(IsoDate('date_from')),
  date_to: v.optional(IsoDate('date_to')),
  team_id: v.optional(IdString('team_id')),
});

export type ScheduleCreateInput = v.InferOutput<typeof ScheduleCreate>;
export type ScheduleUpdateInput = v.InferOutput<typeof ScheduleUpdate>;
export type AssignmentInput = v.InferOutput<typeof AssignmentCreate>;
export type HolidayInput = v.InferOutput<typeof HolidayCreate>;
