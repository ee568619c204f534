import * as v from 'valibot';
import { endpoint } from '../../infra/http.ts';
import { IntQuery } from '../../infra/schemas.ts';
import { ctxOf } from '../../infra/request.ts';
import { AttendanceOut } from './attendance.schema.ts';
import { CHANGE_OPS } from './change.entity.ts';
import { decodeCursor, listChanges } from './changes.service.ts';
import type { FeedPosition } from './changes.repository.ts';

const Cursor = v.pipe(
  v.string(),
  v.transform(decodeCursor),
  v.check((p) => p !== null, 'cursor is not one this feed gave out: send a next_cursor back exactly as it came, or no cursor to start over'),
  v.transform((p) => p as FeedPosition),
  v.description('The `next_cursor` of the page before (opaque).'),
);

const ChangesQuery = v.object({ cursor: v.optional(Cursor), limit: v.optional(IntQuery('limit', 1, 1000), '100') });

const ChangesOut = v.object({
  changes: v.array(v.object({
    change_id: v.number(),
    op: v.picklist(CHANGE_OPS),
    record_id: v.number(),
    record: v.optional(v.pipe(AttendanceOut, v.description('The record as it is now (as GET /attendance/{record_id} shows it); absent for a delete and once the record is gone.'))),
  })),
  next_cursor: v.string(),
});

/** The change feed. Listed before the attendance endpoints with a `{record_id}`: `changes` is no record id. */
export const changeFeedEndpoints = [
  endpoint(
    {
      method: 'get', path: '/attendance/changes', apiScope: 'attendance:read', tag: 'Attendance', summary: 'The change feed of attendance records (for integrations)',
      access: ['admin'], query: ChangesQuery, response: ChangesOut,
      description:
        'Every create, update and delete of an attendance record, whatever made it (punches, corrections, the end of the day, recomputes), ' +
        'oldest first, at most `limit` (default 100, at most 1000) after `cursor`; without one, from the oldest change kept. Ask again with ' +
        '`next_cursor` (given on an empty page too: the same cursor back). A stored cursor never misses nor repeats a change, across ' +
        'instances and restarts: a change shows only once no transaction that began before it is still running. Changes are kept ' +
        'CHANGE_FEED_RETENTION_DAYS (30); an older cursor is 410 `cursor_expired` (read the records again); a cursor this feed did not give 422.',
    },
    async (c, { query }) => c.json(await listChanges(ctxOf(c), query)),
  ),
];
