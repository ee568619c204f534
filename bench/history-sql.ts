// The statements behind GET /attendance/, /attendance/team/{id} and /attendance/employee/{id}, for the plain-`pg`
// baseline (bench/history-baseline.ts) and for EXPLAIN in bench/history.ts: imported from the hub's repositories, so
// both servers send the same statements with the same bind parameters (the bearer token's person, the team or owner
// check, then the page of records and the count, run together).
// bench/history.ts checks before measuring that both servers answer each URL with the same body and X-Total-Count.
import type { Statement } from '../src/infra/db.ts';
import { RECORD_COLUMNS, recordListStatements, type RecordFilter } from '../src/modules/attendance/index.ts';
import type { ReadScope } from '../src/modules/auth/index.ts';
import { ownerStatement, principalStatement } from '../src/modules/employees/index.ts';
import { teamExistsStatement } from '../src/modules/teams/index.ts';

export { RECORD_COLUMNS, ownerStatement, teamExistsStatement, type Statement };

export type Filter = RecordFilter & { skip: number; limit: number };

/** What the caller may read (the hub's policy, src/modules/auth/policy.ts readScope); null: everything. */
export type Scope = ReadScope | null;

/** The page of rows and the count, which the hub runs concurrently (Promise.all). */
export const recordStatements = (filter: Filter, scope: Scope) => recordListStatements(filter, scope ?? { kind: 'all' });

/** The signed-in person behind the bearer token; every authenticated request runs it first. */
export const userStatement = principalStatement;
