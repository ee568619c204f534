export { LoginThrottle } from './login-throttle.ts';
export { hashPassword, verifyPassword, PasswordSchema } from './password.ts';
export { hashSecretToken, issueAccessToken, verifyAccessToken } from './tokens.ts';
export * from './policy.ts';
