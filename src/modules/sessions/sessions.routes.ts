import * as v from 'valibot';
import { endpoint } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { Id } from '../../infra/schemas.ts';
import { login, refresh, revokeTokens } from './sessions.service.ts';

const TokenRequest = v.object({
  username: v.pipe(v.string('username must be a string'), v.trim(), v.minLength(1, 'username is required'), v.maxLength(254)),
  password: v.pipe(v.string('password must be a string'), v.minLength(1, 'password is required'), v.maxLength(1024)),
  grant_type: v.optional(v.literal('password', 'grant_type must be "password"')),
  scope: v.optional(v.string()),
});

const TokenResponse = v.object({
  access_token: v.string(),
  token_type: v.literal('bearer'),
  expires_in: v.pipe(v.number(), v.description('Seconds the access token lives (ACCESS_TOKEN_EXPIRE_MINUTES).')),
  refresh_token: v.pipe(v.string(), v.description('Single use: POST /token/refresh gives a new access token and a new refresh token.')),
  refresh_expires_in: v.pipe(v.number(), v.description('Seconds the refresh token lives unused (REFRESH_TOKEN_EXPIRE_DAYS).')),
});

const RefreshRequest = v.object({
  refresh_token: v.pipe(v.string('refresh_token must be a string'), v.minLength(1, 'refresh_token is required'), v.maxLength(4096)),
  grant_type: v.optional(v.literal('refresh_token', 'grant_type must be "refresh_token"')),
});

const RevokeBody = v.object({ employee_id: v.optional(Id('employee_id')) });

export const sessionEndpoints = [
  endpoint(
    {
      method: 'post', path: '/token', tag: 'Auth', summary: 'Sign in (OAuth2 password flow)', access: 'public', body: TokenRequest, form: true,
      response: TokenResponse,
      description:
        '`username` is the email. Form-encoded or JSON. Wrong credentials: 401 with `WWW-Authenticate: Bearer`. ' +
        'Too many failures for one account from one address, for one address, or (with a growing wait) for one account: 429 with `Retry-After`.',
    },
    async (c, { body }) => {
      const deps = c.get('deps');
      const result = await login({ em: c.get('em'), config: deps.config, throttle: deps.budgets.login }, body.username, body.password, c.get('ip'));
      c.header('Cache-Control', 'no-store');
      return c.json(result);
    },
  ),
  endpoint(
    {
      method: 'post', path: '/token/refresh', tag: 'Auth', summary: 'A new access token for a refresh token', access: 'public', body: RefreshRequest, form: true,
      response: TokenResponse,
      description:
        'The refresh token is used up: the answer carries a new one (rotation). A used one presented again revokes every token of that ' +
        'sign-in. Unknown, used, expired or revoked tokens, and tokens issued before a revocation, a new password or a deactivation: ' +
        '401 `invalid_refresh_token`. Pages refresh before the access token expires, so a wall board never signs itself out.',
    },
    async (c, { body }) => {
      const deps = c.get('deps');
      const result = await refresh({ em: c.get('em'), config: deps.config }, body.refresh_token);
      c.header('Cache-Control', 'no-store');
      return c.json(result);
    },
  ),
  endpoint(
    {
      method: 'post', path: '/token/revoke', tag: 'Auth', summary: 'Revoke every token issued so far', access: ['admin', 'manager', 'employee'],
      body: RevokeBody, optionalBody: true, response: v.object({ employee_id: v.number(), revoked: v.literal(true) }),
      scope: 'Your own tokens; admins may name anyone with `employee_id`.',
      description:
        'Every access token of the person issued before this call is refused from now on, on every instance (REST: 401), and their open ' +
        'sockets are closed. Sign in again for a new token. Changing a password or an access level, and deactivating, do the same.',
    },
    async (c, { body }) => {
      const ctx = ctxOf(c);
      return c.json(await revokeTokens(ctx, body.employee_id ?? ctx.user!.employee_id));
    },
  ),
];
