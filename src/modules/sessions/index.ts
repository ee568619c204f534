export { sessionEndpoints } from './sessions.routes.ts';
export { authenticate, login, pruneRefreshTokens } from './sessions.service.ts';
