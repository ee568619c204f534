import * as v from 'valibot';
import { API_SCOPES } from '../../infra/context.ts';
import { endpoint, listResponse } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { IdString, NonEmpty, RevocableListQuery } from '../../infra/schemas.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service.ts';

const tag = 'API keys';

const Scopes = v.pipe(
  v.array(v.picklist(API_SCOPES, `each scope must be one of: ${API_SCOPES.join(', ')}`), 'scopes must be a list'),
  v.minLength(1, 'give at least one scope'),
  v.maxLength(API_SCOPES.length, 'too many scopes'),
);
const ApiKeyCreate = v.strictObject({ name: NonEmpty('name', 100), scopes: Scopes });
const ApiKeyOut = v.object({
  api_key_id: v.number(),
  name: v.string(),
  scopes: v.array(v.picklist(API_SCOPES)),
  key_prefix: v.pipe(v.string(), v.description('The first characters of the key, to tell keys apart.')),
  created_by: v.nullable(v.number()),
  created_at: v.pipe(v.string(), v.isoTimestamp()),
  last_used_at: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
  last_used_ip: v.nullable(v.string()),
  revoked_at: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
});
const ApiKeyCreated = v.object({ ...ApiKeyOut.entries, key: v.pipe(v.string(), v.description('The key (`ck_…`): shown once, only its hash is kept.')) });
const ApiKeyParams = v.object({ api_key_id: IdString('api_key_id') });

const SCOPES_TEXT =
  'Scopes: `attendance:read` (records, corrections, the change feed, boards), `attendance:write` (create, correct, delete records; ' +
  'request and decide corrections; close a day), `punch` (check-in/out, with `occurred_at` for readers that buffer), `employees:read` ' +
  '(people, their schedules, teams, schedules, holidays), `employees:write` (create, change, delete people and their schedules), ' +
  '`webhooks`, `reports:read` (timesheets, summaries, daily rates). Each endpoint’s scope is named in its description.';

export const apiKeyEndpoints = [
  endpoint(
    {
      method: 'post', path: '/api-keys/', tag, summary: 'Create an API key', access: ['admin'], body: ApiKeyCreate, response: ApiKeyCreated, status: 201,
      description: `Returns the \`key\` once (\`ck_…\`; only its SHA-256 is kept). Send it as \`Authorization: Bearer <key>\`. ${SCOPES_TEXT} A key may not manage keys.`,
    },
    async (c, { body }) => c.json(await createApiKey(ctxOf(c), body), 201),
  ),
  endpoint(
    {
      method: 'get', path: '/api-keys/', tag, summary: 'List API keys', access: ['admin'], query: RevocableListQuery, response: ApiKeyOut, list: true,
      description: 'With their scopes, when and from which address each was last used. Revoked keys with `include_revoked=true`.',
    },
    async (c, { query }) => listResponse(c, await listApiKeys(ctxOf(c), query)),
  ),
  endpoint(
    {
      method: 'delete', path: '/api-keys/{api_key_id}', tag, summary: 'Revoke an API key', access: ['admin'], params: ApiKeyParams, status: 204,
      description: 'The key is refused from the next request on, on every instance.',
    },
    async (c, { params }) => {
      await revokeApiKey(ctxOf(c), params.api_key_id);
      return c.body(null, 204);
    },
  ),
];
