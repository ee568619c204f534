import { endpoint, listResponse } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { CorrectionCreate, CorrectionListQuery, CorrectionOut, CorrectionParams, ResolveBody } from './corrections.schema.ts';
import { approveCorrection, cancelCorrection, getCorrection, listCorrections, rejectCorrection, requestCorrection } from './corrections.service.ts';

const tag = 'Corrections';
const everyone = ['admin', 'manager', 'employee'] as const;
const approvers = 'Admins; a manager of the person’s (current) team, but not for their own day nor for a request they made (403 `self_approval`).';

/**
 * Corrections with approval. Listed before the attendance endpoints with a `{record_id}`: `/attendance/corrections/`
 * would otherwise be read as a record id.
 */
export const correctionEndpoints = [
  endpoint(
    {
      method: 'post', path: '/attendance/corrections/', apiScope: 'attendance:write', tag, summary: 'Ask for a correction of a day', access: everyone, body: CorrectionCreate,
      response: CorrectionOut, status: 201, scope: 'Employees: their own days. Managers: their team’s members and themselves. Admins: anyone.',
      description:
        'A change to a day’s record for an approver to decide: `check_in_time` / `check_out_time` (ISO 8601 with an offset, or a local ' +
        '`HH:MM[:SS]` on `attendance_date` in the team’s zone) or a whole `intervals` list, and/or the record `status` asked for, with a ' +
        '`reason` (required, at most 500 characters). The times are checked at once against the day as it is now, exactly as ' +
        '`PUT /attendance/{record_id}` checks them (422 with the same field errors); the record does not change until the request is ' +
        'approved. The answer is the request, `status: "pending"`. At most one pending request per person and day (409 ' +
        '`correction_pending`). The team’s boards get `correction:requested`.',
    },
    async (c, { body }) => c.json(await requestCorrection(ctxOf(c), body), 201),
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/corrections/', apiScope: 'attendance:read', tag, summary: 'List correction requests', access: everyone, query: CorrectionListQuery,
      response: CorrectionOut, list: true, scope: 'Employees see their own; managers their team’s (the people’s current team) and their own; admins all.',
      description:
        'Filters: `status` (pending, approved, rejected, cancelled), `team_id` and `employee_id` (the person’s), `date_from` / `date_to` ' +
        '(the day corrected, inclusive). Newest first. Each comes with the day’s record as it is now (`current`).',
    },
    async (c, { query }) => listResponse(c, await listCorrections(ctxOf(c), query)),
  ),
  endpoint(
    {
      method: 'get', path: '/attendance/corrections/{correction_id}', apiScope: 'attendance:read', tag, summary: 'Get a correction request', access: everyone, params: CorrectionParams,
      response: CorrectionOut, scope: 'Employees: their own. Managers: their team’s and their own.',
    },
    async (c, { params }) => c.json(await getCorrection(ctxOf(c), params.correction_id)),
  ),
  endpoint(
    {
      method: 'post', path: '/attendance/corrections/{correction_id}/approve', apiScope: 'attendance:write', tag, summary: 'Approve a correction request (applies it to the day)',
      access: ['admin', 'manager'], params: CorrectionParams, body: ResolveBody, optionalBody: true, response: CorrectionOut, scope: approvers,
      description:
        'In one transaction: the day’s record is corrected as `PUT /attendance/{record_id}` would correct it (a day without a record gets ' +
        'one, as `POST /attendance/` would make it), its figures (status, worked, break and overtime minutes, the week’s overtime) are ' +
        'recomputed, the request is marked approved with the optional `comment`, and both are written to the audit trail. When the change ' +
        'no longer fits the day (422) nothing is written and the request stays pending. A request no longer pending: 409 ' +
        '`correction_resolved`. The boards get `attendance:changed`; the requester `correction:resolved`.',
    },
    async (c, { params, body }) => c.json(await approveCorrection(ctxOf(c), params.correction_id, body.comment)),
  ),
  endpoint(
    {
      method: 'post', path: '/attendance/corrections/{correction_id}/reject', apiScope: 'attendance:write', tag, summary: 'Reject a correction request', access: ['admin', 'manager'],
      params: CorrectionParams, body: ResolveBody, optionalBody: true, response: CorrectionOut, scope: approvers,
      description: 'The day stays as it is; the optional `comment` tells the requester why. A request no longer pending: 409 `correction_resolved`.',
    },
    async (c, { params, body }) => c.json(await rejectCorrection(ctxOf(c), params.correction_id, body.comment)),
  ),
  endpoint(
    {
      method: 'post', path: '/attendance/corrections/{correction_id}/cancel', tag, summary: 'Withdraw a pending correction request', access: everyone,
      params: CorrectionParams, response: CorrectionOut, scope: 'Only who asked for it (approvers reject instead).',
      description: 'Marks the request `cancelled`; the day stays as it is. A request no longer pending: 409 `correction_resolved`.',
    },
    async (c, { params }) => c.json(await cancelCorrection(ctxOf(c), params.correction_id)),
  ),
];
