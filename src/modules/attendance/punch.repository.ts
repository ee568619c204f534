import { jsonValue, type Sql } from '../../infra/db.ts';
import { arraysOf, unnestOf, widthOf, type RowOf } from '../../infra/sql-unnest.ts';
import { dateOnly } from '../../infra/time.ts';
import { versionOf, type Assignment, type Holiday, type ScheduleVersion } from '../schedules/index.ts';
import { RECORD_COLUMNS, type RecordRow } from './attendance.records.ts';
import type { DayPunch, PunchAction, PunchIntent } from './day.rules.ts';

/**
 * The statements of a batch of punches. Each has a fixed text whatever the batch size: values travel as arrays
 * (unnest), so PostgreSQL parses the same few statements over and over and the driver sends no SQL built per punch.
 */

/** The first and last time of someone's punches in a batch. */
export type Span = { from: Date; to: Date };

/** The employee behind a punch, with what their working day depends on. */
export type Who = {
  employee_id: number;
  name: string;
  active: boolean;
  team_id: number | null;
  badge_id: string | null;
  team_schedule_id: number | null;
  /** The zone of their dates and times: their team's, or TIMEZONE. */
  tz: string;
  weekly_hours: number;
  assignments: Assignment[];
};

const prefixed = (alias: string) => RECORD_COLUMNS.split(', ').map((c) => `${alias}.${c}`).join(', ');

/**
 * Earlier punches with the client_event_ids of parameter `$n`, with their records. The keys are in `punch_keys` (one
 * table, whatever the partitions of `punches`). A key leads to its punch by `punch_id` alone, one index probe in each
 * month's partition: only a retry pays it, and the punch is found whatever its stored time says.
 */
const earlierPunchesOf = (n: number) => `
  p.client_event_id, p.action, p.employee_id as punch_employee_id, ${prefixed('a')}
    from punch_keys k join punches p on p.punch_id = k.punch_id
    left join attendance a on a.record_id = p.record_id
   where k.client_event_id = any($${n}::text[])`;

/**
 * The people of a batch (by badge or by id) with their team's settings, their schedule assignments and the local
 * days their own punches span: from the day before the first to the end of the ISO week of the day after the last,
 * so that a change to a day's minutes can move the weekly overtime of the week's later days in the same batch. An
 * offline kiosk's week-old punch widens the span of its own person only, never the whole batch's.
 */
const WHO = `
  with wanted as (
    select e.employee_id, k.t_from, k.t_to
      from unnest($1::text[], $3::timestamptz[], $4::timestamptz[]) k(badge_id, t_from, t_to) join employees e on e.badge_id = k.badge_id
    union all
    select k.employee_id, k.t_from, k.t_to from unnest($2::int[], $7::timestamptz[], $8::timestamptz[]) k(employee_id, t_from, t_to)
  ), span as (
    select employee_id, min(t_from) as t_from, max(t_to) as t_to from wanted group by employee_id
  ), who as materialized (
    select e.employee_id, e.name, e.active, e.team_id, e.badge_id, t.schedule_id as team_schedule_id,
           coalesce(t.timezone, $5) as tz, coalesce(t.weekly_hours, 40) as weekly_hours,
           (select coalesce(jsonb_agg(jsonb_build_object('schedule_id', a.schedule_id, 'valid_from', a.valid_from, 'valid_to', a.valid_to)), '[]'::jsonb)
              from employee_schedules a where a.employee_id = e.employee_id) as assignments,
           (s.t_from at time zone coalesce(t.timezone, $5))::date - 1 as d0,
           date_trunc('week', (s.t_to at time zone coalesce(t.timezone, $5))::date + 1)::date + 6 as d1
      from span s join employees e on e.employee_id = s.employee_id left join teams t on t.team_id = e.team_id
     order by e.employee_id
  )`;

const WHO_COLUMNS = ['employee_id', 'name', 'active', 'team_id', 'badge_id', 'team_schedule_id', 'tz', 'weekly_hours', 'assignments', 'd0', 'week_before'] as const;

/**
 * One round trip before deciding. For the employees found by badge or id (locked in id order, so two batches never
 * wait on each other in a circle): their team's settings and assignments; their records from the day before their
 * first punch of the batch to the end of the week after their last, in their zone (locked); the minutes they worked
 * earlier in that first day's ISO week (for weekly overtime). Then the batch's client_event_ids already taken (retries),
 * the versions of the schedules these people follow, and the holidays of those days ('who', 'key', 'version',
 * 'holiday' rows; the last two carry their row as `data`).
 */
const WHO_AND_RECORDS = `${WHO}
  select 'who' as kind, ${WHO_COLUMNS.map((c) => `w.${c} as w_${c}`).join(', ').replace('w.week_before', 'wb.n')},
         null::text as client_event_id, null::text as action, null::int as punch_employee_id, null::jsonb as data, r.*
    from who w
    left join lateral (
      select coalesce(sum(x.worked_minutes), 0) as n from attendance x
       where x.employee_id = w.employee_id and x.attendance_date >= w.d0 - (extract(isodow from w.d0)::int - 1) and x.attendance_date < w.d0
    ) wb on true
    left join lateral (
      select ${RECORD_COLUMNS} from attendance a
       where a.employee_id = w.employee_id and a.attendance_date between w.d0 and w.d1
       order by a.attendance_date for update
    ) r on true
  union all
  select 'key', ${WHO_COLUMNS.map(() => 'null').join(', ')}, k.client_event_id, null, null, null, ${RECORD_COLUMNS.split(', ').map(() => 'null').join(', ')}
    from punch_keys k where k.client_event_id = any($6::text[])
  union all
  select 'version', ${WHO_COLUMNS.map(() => 'null').join(', ')}, null, null, null, to_jsonb(v), ${RECORD_COLUMNS.split(', ').map(() => 'null').join(', ')}
    from schedule_versions v
   where v.schedule_id in (select team_schedule_id from who union select s.schedule_id from employee_schedules s join who on s.employee_id = who.employee_id)
  union all
  select 'holiday', ${WHO_COLUMNS.map(() => 'null').join(', ')}, null, null, null, to_jsonb(h), ${RECORD_COLUMNS.split(', ').map(() => 'null').join(', ')}
    from holidays h
   where h.date between (select min(d0) from who) and (select max(d1) from who)
     and (h.team_id is null or h.team_id in (select team_id from who))`;

/** Record columns a batch writes, for new and changed records alike. */
const RECORD_FIGURES = {
  status: 'text', check_in_time: 'timestamptz', check_out_time: 'timestamptz', notes: 'text', missing_check_out: 'boolean', intervals: 'jsonb',
  worked_minutes: 'int', break_minutes: 'int', overtime_minutes: 'int', weekly_overtime_minutes: 'int', planned_minutes: 'int', left_early: 'boolean',
  shift_start: 'timestamptz', shift_end: 'timestamptz', schedule_id: 'int', schedule_version: 'int', timezone: 'text', last_punch_at: 'timestamptz',
} as const;
/** New records of a batch. */
const NEW_RECORD = { employee_id: 'int', team_id: 'int', attendance_date: 'date', source: 'text', ...RECORD_FIGURES } as const;
/** Records a batch changed. */
const CHANGED_RECORD = { record_id: 'int', ...RECORD_FIGURES } as const;
/** The raw punches; those of new records get their record's id from the insert (matched by employee and date). */
const PUNCH = {
  employee_id: 'int', occurred_at: 'timestamptz', received_at: 'timestamptz', source: 'text', device: 'text', client_event_id: 'text',
  intent: 'text', action: 'text', record_id: 'int', record_date: 'date',
} as const;

const NEW_AT = 1;
const CHANGED_AT = NEW_AT + widthOf(NEW_RECORD);
const PUNCH_AT = CHANGED_AT + widthOf(CHANGED_RECORD);
const FIGURE_NAMES = Object.keys(RECORD_FIGURES);

/**
 * What the database decides of a written record (its id and times); the rest is what the batch sent. Reading back
 * every column cost more to parse than the whole write.
 */
const WRITTEN = 'record_id, employee_id, attendance_date, created_at, updated_at';
export type Written = Pick<RecordRow, 'record_id' | 'employee_id' | 'attendance_date' | 'created_at' | 'updated_at'>;

/**
 * New records, changed records and the punches, in one statement. A punch with a client_event_id is written only if
 * its key was: `punch_keys` holds each key once (its primary key), so of two transactions sending the same key one
 * waits for the other and then writes nothing, as the unique key on `punches` did before it was partitioned.
 */
const WRITE = `
  with ins as (
    insert into attendance (${Object.keys(NEW_RECORD).join(', ')}, created_at, updated_at)
    select v.*, now(), clock_timestamp() from ${unnestOf(NEW_RECORD, 'v', NEW_AT)}
    on conflict (employee_id, attendance_date) do nothing
    returning ${WRITTEN}
  ), upd as (
    update attendance a
       set ${FIGURE_NAMES.map((c) => `${c} = v.${c}`).join(', ')}, updated_at = clock_timestamp()
      from ${unnestOf(CHANGED_RECORD, 'v', CHANGED_AT)}
     where a.record_id = v.record_id
    returning ${WRITTEN.split(', ').map((c) => `a.${c}`).join(', ')}
  ), src as (
    select p.*, nextval('punches_punch_id_seq') as punch_id from ${unnestOf(PUNCH, 'p', PUNCH_AT)}
  ), keyed as (
    insert into punch_keys (client_event_id, punch_id, occurred_at, employee_id)
    select client_event_id, punch_id, occurred_at, employee_id from src where client_event_id is not null
    on conflict (client_event_id) do nothing
    returning client_event_id
  ), pun as (
    insert into punches (punch_id, employee_id, occurred_at, received_at, source, device, client_event_id, intent, action, record_id)
    select p.punch_id, p.employee_id, p.occurred_at, p.received_at, p.source, p.device, p.client_event_id, p.intent, p.action, coalesce(p.record_id, ins.record_id)
      from src p
      left join ins on p.record_id is null and ins.employee_id = p.employee_id and ins.attendance_date = p.record_date
     where p.client_event_id is null or p.client_event_id in (select client_event_id from keyed)
    returning client_event_id
  )
  select 'record' as kind, ${WRITTEN}, null as client_event_id from ins
  union all select 'record', ${WRITTEN}, null from upd
  union all select 'punch', ${WRITTEN.split(', ').map(() => 'null').join(', ')}, client_event_id from pun`;

export type Earlier = RecordRow & { action: PunchAction; punch_employee_id: number; client_event_id: string };
type WhoRow = Partial<RecordRow> & { kind: 'who' | 'key' | 'version' | 'holiday'; client_event_id: string | null; data: unknown } & {
  [K in (typeof WHO_COLUMNS)[number] as `w_${K}`]: unknown;
};

/** Timestamps go to the driver as ISO text: its own Date formatting costs more than the rest of the parameter. */
const isoParam = (v: string | Date | null) => (v instanceof Date ? v.toISOString() : v);

export type NewPunch = RowOf<typeof PUNCH>;
/** A record as a batch writes it. */
export type RecordWrite = RecordRow;

/** A stored punch of a day, for a rebuild. */
export type StoredPunch = DayPunch & { punch_id: number; action: PunchAction };
/** A stored punch's new action; `at` (its `occurred_at`) finds its partition. */
export type ActionFix = { punch_id: number; at: Date; action: PunchAction };

const figureParams = (r: RecordRow) => ({
  ...r,
  check_in_time: isoParam(r.check_in_time),
  check_out_time: isoParam(r.check_out_time),
  shift_start: isoParam(r.shift_start),
  shift_end: isoParam(r.shift_end),
  last_punch_at: isoParam(r.last_punch_at),
  missing_check_out: Boolean(r.missing_check_out),
  left_early: Boolean(r.left_early),
  intervals: typeof r.intervals === 'string' ? r.intervals : JSON.stringify(r.intervals),
});

export type LookUp = {
  /** With the first and last day loaded (their zone) and the minutes worked that first day's week before it. */
  people: (Who & { d0: string; week_before: number })[];
  records: { who: number; row: RecordRow }[];
  earlier: Map<string, Earlier>;
  versions: Map<number, ScheduleVersion[]>;
  holidays: Holiday[];
};

export const punches = {
  /**
   * The people of a batch (by badge or id) with their settings and assignments, their records around the batch's
   * days (locked), what they worked earlier that week, the earlier answers for the batch's client_event_ids, and the
   * schedule versions and holidays that decide their days.
   */
  /** `badges` and `ids`: each with the first and last time of its punches in the batch. */
  async lookUp(tx: Sql, q: { badges: Map<string, Span>; ids: Map<number, Span>; keys: string[]; tz: string }): Promise<LookUp> {
    const iso = (spans: Map<unknown, Span>, end: keyof Span) => [...spans.values()].map((s) => s[end].toISOString());
    const rows = await tx.query<WhoRow>(
      WHO_AND_RECORDS,
      [[...q.badges.keys()], [...q.ids.keys()], iso(q.badges, 'from'), iso(q.badges, 'to'), q.tz, q.keys, iso(q.ids, 'from'), iso(q.ids, 'to')],
      'punch_who_and_records',
    );
    const out: LookUp = { people: [], records: [], earlier: new Map(), versions: new Map(), holidays: [] };
    const seen = new Set<number>();
    const keys: string[] = [];
    for (const r of rows) {
      if (r.kind === 'key') {
        keys.push(r.client_event_id!);
        continue;
      }
      if (r.kind === 'version') {
        const v = versionOf(r.data as Parameters<typeof versionOf>[0]);
        (out.versions.get(v.schedule_id!) ?? out.versions.set(v.schedule_id!, []).get(v.schedule_id!)!).push(v);
        continue;
      }
      if (r.kind === 'holiday') {
        const h = r.data as { date: string; name: string; team_id: number | null };
        out.holidays.push({ date: dateOnly(h.date), name: h.name, team_id: h.team_id == null ? null : Number(h.team_id) });
        continue;
      }
      const id = Number(r.w_employee_id);
      if (!seen.has(id)) {
        seen.add(id);
        const assignments = jsonValue<{ schedule_id: number; valid_from: string; valid_to: string | null }[]>(r.w_assignments);
        out.people.push({
          employee_id: id,
          name: r.w_name as string,
          active: r.w_active as boolean,
          team_id: r.w_team_id == null ? null : Number(r.w_team_id),
          badge_id: r.w_badge_id as string | null,
          team_schedule_id: r.w_team_schedule_id == null ? null : Number(r.w_team_schedule_id),
          tz: r.w_tz as string,
          weekly_hours: Number(r.w_weekly_hours),
          assignments: assignments.map((a) => ({ schedule_id: Number(a.schedule_id), valid_from: dateOnly(a.valid_from), valid_to: a.valid_to ? dateOnly(a.valid_to) : null })),
          d0: dateOnly(r.w_d0 as string | Date),
          week_before: Number(r.w_week_before ?? 0),
        });
      }
      if (r.record_id != null) out.records.push({ who: id, row: r as RecordRow });
    }
    // Retries only: their earlier punches and records, in a second round trip. The statement every batch runs reads
    // `punch_keys` alone, so it never opens (nor locks) the partitions of `punches`.
    if (keys.length) out.earlier = await punches.earlier(tx, keys);
    return out;
  },

  /** The earlier answers for these client_event_ids (a retry that a concurrent batch just committed). */
  async earlier(tx: Sql, keys: string[]): Promise<Map<string, Earlier>> {
    if (!keys.length) return new Map();
    const rows = await tx.query<Earlier>(`select ${earlierPunchesOf(1)}`, [keys], 'punch_earlier');
    return new Map(rows.map((r) => [r.client_event_id, r]));
  },

  /** The stored punches of a record, in time order (a late punch is being slotted in among them). */
  async ofRecord(tx: Sql, employeeId: number, recordId: number, around: { from: Date; to: Date }): Promise<StoredPunch[]> {
    const rows = await tx.query<{ punch_id: number; occurred_at: string | Date; intent: PunchIntent | null; action: PunchAction }>(
      `select punch_id, occurred_at, intent, action from punches
        where employee_id = $1 and record_id = $2 and occurred_at between $3 and $4 order by occurred_at, punch_id`,
      [employeeId, recordId, around.from.toISOString(), around.to.toISOString()],
    );
    // Punches stored before intents were kept did what they asked.
    return rows.map((r) => ({ punch_id: Number(r.punch_id), at: new Date(r.occurred_at), intent: r.intent ?? (r.action === 'ignored' ? 'auto' : r.action), action: r.action }));
  },

  /** Punches whose part in their day changed when a late punch was slotted in before them. */
  async setActions(tx: Sql, changes: ActionFix[]) {
    if (!changes.length) return;
    await tx.query(
      `update punches p set action = v.action from unnest($1::bigint[], $2::timestamptz[], $3::text[]) as v(punch_id, occurred_at, action)
        where p.punch_id = v.punch_id and p.occurred_at = v.occurred_at`,
      [changes.map((c) => c.punch_id), changes.map((c) => c.at.toISOString()), changes.map((c) => c.action)],
    );
  },

  /**
   * Writes the batch: new records, changed records, raw punches. Returns the records' ids and times and the client_event_ids
   * whose punch was inserted (one taken by another transaction first is missing: the caller starts again).
   */
  async write(tx: Sql, batch: { created: RecordRow[]; changed: RecordRow[]; punches: NewPunch[] }) {
    const written = await tx.query<Written & { kind: 'record' | 'punch'; client_event_id: string | null }>(
      WRITE,
      [...arraysOf(NEW_RECORD, batch.created.map(figureParams)), ...arraysOf(CHANGED_RECORD, batch.changed.map(figureParams)), ...arraysOf(PUNCH, batch.punches)],
      'punch_write',
    );
    return {
      records: written.filter((w) => w.kind === 'record') as Written[],
      punched: new Set(written.filter((w) => w.kind === 'punch').map((w) => w.client_event_id)),
    };
  },
};
