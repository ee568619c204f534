// Progress lines, bounded waits, commands and statements.
import type pg from 'pg';
import { adminQuery, run } from '../../harness/index.ts';

export const t0 = Date.now();
export const stamp = () => `${new Date().toISOString()} +${((Date.now() - t0) / 1000).toFixed(1)}s`;
export const log = (msg: string) => process.stderr.write(`[faults ${stamp()}] ${msg}\n`);
export const fmt = (n: number) => n.toLocaleString('en');

/** A command run to completion (bounded): its standard output. */
export const sh = async (cmd: string, argv: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = process.env) => (await run(cmd, argv, { timeoutMs, env })).stdout;

/** One statement on its own connection, bounded to two minutes (a restart of the server may be under way). */
export const query = <T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) => adminQuery<T>(url, sql, params, 120_000);
