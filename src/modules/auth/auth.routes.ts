import * as v from 'valibot';
import { endpoint } from '../../infra/http.ts';
import { login } from './auth.service.ts';

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

export const authEndpoints = [
  endpoint(
    {
      method: 'post', path: '/token', tag: 'Auth', summary: 'Sign in (OAuth2 password flow)', access: 'public', body: TokenRequest, form: true,
      response: TokenResponse,
      description:
        '`username` is the email. Form-encoded or JSON. Wrong credentials: 401 with `WWW-Authenticate: Bearer`. ' +
        'Too many failures for one account or address: 429 with `Retry-After`.',
    },
    async (c, { body }) => {
      const deps = c.get('deps');
      const result = await login({ em: c.get('em'), config: deps.config, throttle: deps.budgets.login }, body.username, body.password, c.get('ip'));
      c.header('Cache-Control', 'no-store');
      return c.json(result);
    },
  ),
];
