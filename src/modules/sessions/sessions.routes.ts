import * as v from 'valibot';
import { endpoint } from '../../infra/http.ts';
import { ctxOf } from '../../infra/request.ts';
import { Id } from '../../infra/schemas.ts';
import { login, revokeTokens } from './sessions.service.ts';

const TokenRequest = v.object({
  username: v.pipe(v.string('username must be a string'), v.trim(), v.minLength(1, 'username is required'), v.maxLength(254)),
  password: v.pipe(v.string('password must be a string'), v.minLength(1, 'password is required'), v.maxLength(1024)),
  grant_type: v.optional(v.literal('password', 'grant_type must be "password"')),
  scope: v.optional(v.string()),
});

const TokenResponse = v.object({
  access_token: v.string(),
  token_type: v.literal('bearer'),
  expires_in: v.number(),
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
