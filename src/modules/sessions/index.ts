export { sessionEndpoints } from './sessions.routes.ts';
export { authenticate, login } from './sessions.service.ts';
