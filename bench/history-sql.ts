// The statements behind GET /attendance/, /attendance/team/{id} and /attendance/employee/{id}, written out for the
// plain-`pg` baseline (bench/history-baseline.ts) and for EXPLAIN in bench/history.ts. They are the hub's statements,
// text and bind parameters alike (src/modules/attendance/attendance.service.ts: recordWhere, queryRecords,
// listEmployeeRecords, listTeamRecords; the bearer token's user lookup in src/modules/auth/auth.service.ts), which the
// hub sends straight to the driver (sqlOf): same filters in the same order, same ORDER BY / LIMIT / OFFSET, same count.
// Keep the two in step when either changes.
// bench/history.ts checks before measuring that both servers answer each URL with the same body and X-Total-Count.
import { RECORD_COLUMNS } from '../src/modules/attendance/attendance.records.ts';

export { RECORD_COLUMNS };

export type Filter = {
  skip: number;
  limit: number;
  date_from?: string;
  date_to?: string;
  status?: string;
  employee_id?: number;
  team_id?: number;
};

/** What the caller may read (readScope): null for admins. */
export type Scope = { sql: string; params: unknown[] } | null;

export type Statement = { text: string; values: unknown[] };

/** recordWhere, with `$n` placeholders numbered from 1. */
export function recordWhere(filter: Omit<Filter, 'skip' | 'limit'>, scope: Scope) {
  const where: string[] = [];
  const values: unknown[] = [];
  const next = (value: unknown) => (values.push(value), `$${values.length}`);
  if (filter.date_from) where.push(`attendance_date >= ${next(filter.date_from)}`);
  if (filter.date_to) where.push(`attendance_date <= ${next(filter.date_to)}`);
  if (filter.status) where.push(`status = ${next(filter.status)}`);
  if (filter.employee_id) where.push(`employee_id = ${next(filter.employee_id)}`);
  if (filter.team_id) where.push(`team_id = ${next(filter.team_id)}`);
  if (scope) {
    let i = 0;
    where.push(scope.sql.replace(/\?/g, () => next(scope.params[i++])));
  }
  return { clause: where.length ? `where ${where.join(' and ')}` : '', values };
}

/** queryRecords: the page of rows and the count, which the hub runs concurrently (Promise.all). */
export function recordStatements(filter: Filter, scope: Scope): { rows: Statement; count: Statement } {
  const { clause, values } = recordWhere(filter, scope);
  const n = values.length;
  return {
    rows: {
      text: `select ${RECORD_COLUMNS} from attendance ${clause} order by attendance_date desc, record_id desc limit $${n + 1} offset $${n + 2}`,
      values: [...values, filter.limit, filter.skip],
    },
    count: { text: `select count(*) as total from attendance ${clause}`, values },
  };
}

/** The owner lookup GET /attendance/employee/{id} runs before the records. */
export const ownerStatement = (employeeId: number): Statement => ({
  text: 'select employee_id, name, team_id, active from employees where employee_id = $1',
  values: [employeeId],
});

/** listTeamRecords's existence check (GET /attendance/team/{id} runs it before the records). */
export const teamExistsStatement = (teamId: number): Statement => ({ text: 'select 1 from teams where team_id = $1', values: [teamId] });

/** authenticate(): the signed-in user behind the bearer token; every authenticated request runs it first. */
export const userStatement = (employeeId: number): Statement => ({
  text: 'select "e0"."employee_id", "e0"."access", "e0"."active", "e0"."name", "e0"."team_id" from "employees" as "e0" where "e0"."employee_id" = $1 limit 1',
  values: [employeeId],
});
