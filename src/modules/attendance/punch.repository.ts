import type { Sql } from '../../infra/db.ts';
import { arraysOf, unnestOf, widthOf, type RowOf } from '../../infra/sql-unnest.ts';
import { RECORD_COLUMNS, type RecordRow } from './attendance.records.ts';
import type { PunchAction } from './punch.entity.ts';
import type { Who } from './punch.rules.ts';

/**
 * The statements of a batch of punches. Each has a fixed text whatever the batch size: values travel as arrays
 * (unnest), so PostgreSQL parses the same few statements over and over and the driver sends no SQL built per punch.
 */

const prefixed = (alias: string) => RECORD_COLUMNS.split(', ').map((c) => `${alias}.${c}`).join(', ');

/** Earlier punches with the client_event_ids of parameter `$n`, with their records. */
const earlierPunchesOf = (n: number) => `
  p.client_event_id, p.action, p.employee_id as punch_employee_id, ${prefixed('a')}
    from punches p left join attendance a on a.record_id = p.record_id
   where p.client_event_id = any($${n}::text[])`;

/** Employees with their team's schedule (the WHERE follows). */
const WHO_SELECT = `select e.employee_id, e.name, e.active, e.team_id, e.badge_id, t.workday_start, t.grace_minutes
        from employees e left join teams t on t.team_id = e.team_id`;

const WHO_COLUMNS = ['employee_id', 'name', 'active', 'team_id', 'badge_id', 'workday_start', 'grace_minutes'] as const;

/**
 * One round trip before deciding: the employees by badge or id with their team's schedule, each with their records
 * of the batch's days (locked), and the earlier punches with the batch's client_event_ids ('who' and 'earlier'
 * rows). Employees are locked in id order (the materialised CTE is read in order), so two batches never wait on
 * each other in a circle. Badges and ids are looked up separately so that each uses its index.
 */
const WHO_AND_RECORDS = `
  with who as materialized (
    select * from (
      ${WHO_SELECT} where e.badge_id = any($1::text[])
      union
      ${WHO_SELECT} where e.employee_id = any($2::int[])
    ) found order by employee_id
  )
  select 'who' as kind, ${WHO_COLUMNS.map((c) => `w.${c} as w_${c}`).join(', ')},
         null::text as client_event_id, null::text as action, null::int as punch_employee_id, r.*
    from who w
    left join lateral (
      select ${RECORD_COLUMNS} from attendance a
       where a.employee_id = w.employee_id and a.attendance_date = any($3::date[])
       order by a.attendance_date for update
    ) r on true
  union all
  select 'earlier', ${WHO_COLUMNS.map(() => 'null').join(', ')}, ${earlierPunchesOf(4)}`;

/** New records of a batch. */
const NEW_RECORD = {
  employee_id: 'int', team_id: 'int', attendance_date: 'date', status: 'text', check_in_time: 'timestamptz',
  check_out_time: 'timestamptz', notes: 'text', source: 'text', missing_check_out: 'boolean',
} as const;
/** Records a batch changed. */
const CHANGED_RECORD = { record_id: 'int', status: 'text', check_in_time: 'timestamptz', check_out_time: 'timestamptz', missing_check_out: 'boolean', notes: 'text' } as const;
/** The raw punches; those of new records get their record's id from the insert (matched by employee and date). */
const PUNCH = {
  employee_id: 'int', occurred_at: 'timestamptz', received_at: 'timestamptz', source: 'text', device: 'text', client_event_id: 'text',
  action: 'text', record_id: 'int', record_date: 'date',
} as const;

const NEW_AT = 1;
const CHANGED_AT = NEW_AT + widthOf(NEW_RECORD);
const PUNCH_AT = CHANGED_AT + widthOf(CHANGED_RECORD);

/** New records, changed records and the punches, in one statement. */
const WRITE = `
  with ins as (
    insert into attendance (${Object.keys(NEW_RECORD).join(', ')}, created_at, updated_at)
    select v.*, now(), clock_timestamp() from ${unnestOf(NEW_RECORD, 'v', NEW_AT)}
    on conflict (employee_id, attendance_date) do nothing
    returning ${RECORD_COLUMNS}
  ), upd as (
    update attendance a
       set status = v.status, check_in_time = v.check_in_time, check_out_time = v.check_out_time, missing_check_out = v.missing_check_out,
           notes = v.notes, updated_at = clock_timestamp()
      from ${unnestOf(CHANGED_RECORD, 'v', CHANGED_AT)}
     where a.record_id = v.record_id
    returning ${prefixed('a')}
  ), pun as (
    insert into punches (employee_id, occurred_at, received_at, source, device, client_event_id, action, record_id)
    select p.employee_id, p.occurred_at, p.received_at, p.source, p.device, p.client_event_id, p.action, coalesce(p.record_id, ins.record_id)
      from ${unnestOf(PUNCH, 'p', PUNCH_AT)}
      left join ins on p.record_id is null and ins.employee_id = p.employee_id and ins.attendance_date = p.record_date
    on conflict (client_event_id) do nothing
    returning client_event_id
  )
  select 'record' as kind, ${RECORD_COLUMNS}, null as client_event_id from ins
  union all select 'record', ${RECORD_COLUMNS}, null from upd
  union all select 'punch', ${RECORD_COLUMNS.split(', ').map(() => 'null').join(', ')}, client_event_id from pun`;

export type Earlier = RecordRow & { action: PunchAction; punch_employee_id: number; client_event_id: string };
type WhoRow = Partial<RecordRow> & { kind: 'who' | 'earlier'; client_event_id: string | null } & { [K in (typeof WHO_COLUMNS)[number] as `w_${K}`]: Who[K] };

/** Timestamps go to the driver as ISO text: its own Date formatting costs more than the rest of the parameter. */
const isoParam = (v: string | Date | null) => (v instanceof Date ? v.toISOString() : v);

export type NewPunch = RowOf<typeof PUNCH>;

export const punches = {
  /**
   * The people of a batch (by badge or id) with their team's schedule, their records of the given days (locked),
   * and the earlier answers for the batch's client_event_ids.
   */
  async lookUp(tx: Sql, q: { badges: string[]; ids: number[]; days: string[]; keys: string[] }) {
    const rows = await tx.query<WhoRow>(WHO_AND_RECORDS, [q.badges, q.ids, q.days, q.keys], 'punch_who_and_records');
    const people: Who[] = [];
    const records: { who: number; row: RecordRow }[] = [];
    const earlier = new Map<string, Earlier>();
    const seen = new Set<number>();
    for (const r of rows) {
      if (r.kind === 'earlier') {
        earlier.set(r.client_event_id!, r as unknown as Earlier);
        continue;
      }
      const id = Number(r.w_employee_id);
      if (!seen.has(id)) {
        seen.add(id);
        people.push({
          employee_id: id, name: r.w_name, active: r.w_active, team_id: r.w_team_id == null ? null : Number(r.w_team_id), badge_id: r.w_badge_id,
          workday_start: r.w_workday_start, grace_minutes: r.w_grace_minutes,
        });
      }
      if (r.record_id != null) records.push({ who: id, row: r as RecordRow });
    }
    return { people, records, earlier };
  },

  /** The earlier answers for these client_event_ids (a retry that a concurrent batch just committed). */
  async earlier(tx: Sql, keys: string[]): Promise<Map<string, Earlier>> {
    if (!keys.length) return new Map();
    const rows = await tx.query<Earlier>(`select ${earlierPunchesOf(1)}`, [keys], 'punch_earlier');
    return new Map(rows.map((r) => [r.client_event_id, r]));
  },

  /**
   * Writes the batch: new records, changed records, raw punches. Returns the stored records and the client_event_ids
   * whose punch was inserted (one taken by another transaction first is missing: the caller starts again).
   */
  async write(tx: Sql, batch: { created: RecordRow[]; changed: RecordRow[]; punches: NewPunch[] }) {
    const written = await tx.query<RecordRow & { kind: 'record' | 'punch'; client_event_id: string | null }>(
      WRITE,
      [
        ...arraysOf(NEW_RECORD, batch.created.map((r) => ({ ...r, check_in_time: isoParam(r.check_in_time), check_out_time: isoParam(r.check_out_time), missing_check_out: Boolean(r.missing_check_out) }))),
        ...arraysOf(CHANGED_RECORD, batch.changed.map((r) => ({ ...r, check_in_time: isoParam(r.check_in_time), check_out_time: isoParam(r.check_out_time), missing_check_out: Boolean(r.missing_check_out) }))),
        ...arraysOf(PUNCH, batch.punches),
      ],
      'punch_write',
    );
    return {
      records: written.filter((w) => w.kind === 'record') as RecordRow[],
      punched: new Set(written.filter((w) => w.kind === 'punch').map((w) => w.client_event_id)),
    };
  },
};
