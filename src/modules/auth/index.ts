export { authEndpoints } from './auth.routes.ts';
export { authenticate, login } from './auth.service.ts';
export { LoginThrottle } from './login-throttle.ts';
export { hashPassword, verifyPassword, PasswordSchema } from './password.ts';
export { issueAccessToken, verifyAccessToken } from './tokens.ts';
