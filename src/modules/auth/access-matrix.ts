/**
 * Who may do what: every REST endpoint and socket event × every kind of caller, with the answer they get.
 * This one table is shown in the README (`npm run docs:roles`) and replayed by tests/role-matrix.test.ts against the
 * real app, so the documentation and the behaviour cannot drift apart.
 *
 * The fixture behind it: a team T with its manager, an employee E and a colleague C; another team U with its manager;
 * an admin; a kiosk. `{employee_id}` is C, `{team_id}` is T, `{record_id}` is one of C's records, `{schedule_id}` a
 * schedule nobody uses, `{assignment_id}` C's assignment to another one, `{holiday_id}` a holiday, `{correction_id}` a
 * pending correction C asked for (of the day of `{record_id}`).
 */
export const ACTORS = ['anonymous', 'employee', 'manager', 'other_manager', 'admin', 'kiosk'] as const;
export type Actor = (typeof ACTORS)[number];

export const ACTOR_TITLES: Record<Actor, string> = {
  anonymous: 'no token',
  employee: 'employee E',
  manager: 'manager of T',
  other_manager: 'manager of U',
  admin: 'admin',
  kiosk: 'kiosk',
};

/** REST: an HTTP status. Sockets: `ok`, an error code from the acknowledgement, or `refused` (connect_error). */
export type Outcome = number | 'ok' | 'forbidden' | 'refused';

export type MatrixRow = { request: string; note?: string; expect: Record<Actor, Outcome> };

const row = (request: string, outcomes: [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome], note?: string): MatrixRow => ({
  request,
  note,
  expect: Object.fromEntries(ACTORS.map((a, i) => [a, outcomes[i]])) as Record<Actor, Outcome>,
});

const everyone = (request: string, status: number) => row(request, [status, status, status, status, status, status]);

export const ACCESS_MATRIX: MatrixRow[] = [
  { ...everyone('POST /token', 200), note: 'with E’s email and password, whatever token is sent' },
  row('GET /audit/', [401, 403, 403, 403, 200, 401]),
  row('POST /api-keys/', [401, 403, 403, 403, 201, 401]),
  row('GET /api-keys/', [401, 403, 403, 403, 200, 401]),
  row('DELETE /api-keys/{api_key_id}', [401, 403, 403, 403, 204, 401]),
  row('POST /webhooks/', [401, 403, 403, 403, 201, 401]),
  row('GET /webhooks/', [401, 403, 403, 403, 200, 401]),
  row('GET /webhooks/{webhook_id}', [401, 403, 403, 403, 200, 401]),
  row('PUT /webhooks/{webhook_id}', [401, 403, 403, 403, 200, 401]),
  row('DELETE /webhooks/{webhook_id}', [401, 403, 403, 403, 204, 401]),
  row('POST /webhooks/{webhook_id}/test', [401, 403, 403, 403, 202, 401]),
  row('GET /webhooks/{webhook_id}/deliveries', [401, 403, 403, 403, 200, 401]),
  row('POST /webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver', [401, 403, 403, 403, 202, 401]),
  { ...everyone('POST /token/refresh', 401), note: 'with a refresh token that is not live, whatever token is sent; a live one: 200 for its owner' },
  row('POST /token/revoke', [401, 200, 200, 200, 200, 401], 'the caller’s own tokens; admins may name anyone'),
  everyone('GET /healthz', 200),
  everyone('GET /readyz', 200),
  everyone('GET /docs', 200),
  everyone('GET /openapi.json', 200),
  row('GET /employees/', [401, 403, 200, 200, 200, 401], 'managers get their own team only'),
  row('POST /employees/', [401, 403, 403, 403, 201, 401]),
  row('GET /employees/{employee_id}', [401, 403, 200, 403, 200, 401], 'everyone may read themselves'),
  row('PUT /employees/{employee_id}', [401, 403, 403, 403, 200, 401]),
  row('DELETE /employees/{employee_id}', [401, 403, 403, 403, 204, 401]),
  row('GET /employees/{employee_id}/schedules', [401, 403, 200, 403, 200, 401], 'everyone may read their own'),
  row('POST /employees/{employee_id}/schedules', [401, 403, 403, 403, 201, 401]),
  row('DELETE /employees/{employee_id}/schedules/{assignment_id}', [401, 403, 403, 403, 204, 401]),
  row('GET /me/profile', [401, 200, 200, 200, 200, 401], 'the caller’s own profile'),
  row('PUT /me/pin', [401, 204, 204, 204, 204, 401], 'the caller’s own PIN, with their password'),
  row('GET /teams/', [401, 200, 200, 200, 200, 401], 'non-admins get their own team only'),
  row('POST /teams/', [401, 403, 403, 403, 201, 401]),
  row('GET /teams/{team_id}', [401, 200, 200, 403, 200, 401], 'members read their own team'),
  row('PUT /teams/{team_id}', [401, 403, 403, 403, 200, 401]),
  row('DELETE /teams/{team_id}', [401, 403, 403, 403, 204, 401]),
  row('GET /schedules/', [401, 200, 200, 200, 200, 401]),
  row('POST /schedules/', [401, 403, 403, 403, 201, 401]),
  row('GET /schedules/{schedule_id}', [401, 200, 200, 200, 200, 401]),
  row('GET /schedules/{schedule_id}/versions', [401, 200, 200, 200, 200, 401]),
  row('PUT /schedules/{schedule_id}', [401, 403, 403, 403, 200, 401]),
  row('DELETE /schedules/{schedule_id}', [401, 403, 403, 403, 204, 401], 'refused (409) while a team or an assignment uses it'),
  row('GET /holidays/', [401, 200, 200, 200, 200, 401]),
  row('POST /holidays/', [401, 403, 403, 403, 201, 401]),
  row('DELETE /holidays/{holiday_id}', [401, 403, 403, 403, 204, 401]),
  row('GET /attendance/', [401, 200, 200, 200, 200, 401], 'scoped: own records; managers their team’s and their own'),
  row('GET /attendance/on-site', [401, 403, 200, 403, 200, 401], 'with team_id=T'),
  row('GET /reports/timesheet', [401, 200, 200, 200, 200, 401], 'scoped like GET /attendance/ (with team_id=T: E their own days, the manager of U nothing)'),
  row('POST /attendance/recompute', [401, 403, 403, 403, 202, 401]),
  row('POST /attendance/', [401, 403, 201, 403, 201, 401]),
  row('POST /attendance/check-in', [401, 403, 200, 403, 200, 401], 'for C; E may check in themselves'),
  row('POST /attendance/check-out', [401, 403, 409, 403, 409, 401], 'for C, who has not checked in: the right is checked first'),
  row('GET /attendance/export.csv', [401, 200, 200, 200, 200, 401], 'scoped like GET /attendance/'),
  row('POST /attendance/corrections/', [401, 403, 201, 403, 201, 401], 'for C; E may ask for their own days'),
  row('GET /attendance/corrections/', [401, 200, 200, 200, 200, 401], 'scoped: own requests; managers their team’s and their own'),
  row('GET /attendance/corrections/{correction_id}', [401, 403, 200, 403, 200, 401]),
  row('POST /attendance/corrections/{correction_id}/approve', [401, 403, 200, 403, 200, 401], 'not for the manager’s own day or own request (403 `self_approval`)'),
  row('POST /attendance/corrections/{correction_id}/reject', [401, 403, 200, 403, 200, 401], 'as approve'),
  row('POST /attendance/corrections/{correction_id}/cancel', [401, 403, 403, 403, 403, 401], 'only who asked (C): approvers reject instead'),
  row('GET /attendance/changes', [401, 403, 403, 403, 200, 401], 'the change feed; API keys with `attendance:read`'),
  row('GET /attendance/employee/{employee_id}', [401, 403, 200, 403, 200, 401]),
  row('GET /attendance/team/{team_id}', [401, 403, 200, 403, 200, 401]),
  row('GET /attendance/{record_id}', [401, 403, 200, 403, 200, 401]),
  row('PUT /attendance/{record_id}', [401, 403, 200, 403, 200, 401]),
  row('DELETE /attendance/{record_id}', [401, 403, 403, 403, 204, 401]),
  row('POST /attendance/end-of-day', [401, 403, 403, 403, 200, 401]),
  row('POST /kiosks/', [401, 403, 403, 403, 201, 401]),
  row('GET /kiosks/', [401, 403, 403, 403, 200, 401]),
  row('DELETE /kiosks/{kiosk_id}', [401, 403, 403, 403, 204, 401]),
  row('GET /boards/', [401, 403, 200, 200, 200, 401], 'admins every team; managers their own'),
  row('GET /summarize_attendance/', [401, 403, 200, 403, 200, 401], 'with team_id=T'),
  row('GET /reports/daily', [401, 403, 200, 403, 200, 401], 'with team_id=T'),
  row('POST /chat/', [401, 403, 403, 403, 200, 401]),
  row('GET /metrics', [401, 403, 403, 403, 200, 401], 'or the METRICS_TOKEN'),
  row('socket attendance:check', ['refused', 'forbidden', 'ok', 'forbidden', 'ok', 'ok'], 'for C’s badge; E may punch themselves'),
  row('socket board:join', ['refused', 'forbidden', 'ok', 'forbidden', 'ok', 'forbidden'], 'team T'),
  row('socket board:leave', ['refused', 'ok', 'ok', 'ok', 'ok', 'ok']),
  row('socket assistant:ask', ['refused', 'forbidden', 'forbidden', 'forbidden', 'ok', 'forbidden']),
  row('socket kiosk:roster', ['refused', 'forbidden', 'forbidden', 'forbidden', 'forbidden', 'ok'], 'kiosks only'),
];

/** The matrix as a Markdown table. */
export function accessMatrixMarkdown(): string {
  const head = `| request | ${ACTORS.map((a) => ACTOR_TITLES[a]).join(' | ')} | note |`;
  const rule = `|---|${ACTORS.map(() => '---').join('|')}|---|`;
  const lines = ACCESS_MATRIX.map((r) => `| \`${r.request}\` | ${ACTORS.map((a) => String(r.expect[a])).join(' | ')} | ${r.note ?? ''} |`);
  return [head, rule, ...lines].join('\n');
}
