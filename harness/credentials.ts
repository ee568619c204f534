// The admin every hub a run starts is given, and the password db:seed gives every seeded employee.
import { randomBytes } from 'node:crypto';
import { DEMO_PASSWORD } from '../src/bootstrap.ts';

export const ADMIN_EMAIL = 'bench-admin@example.com';
export const ADMIN_PASSWORD = `Bench-${randomBytes(9).toString('base64url')}-42`;
/** The password `db:seed` gives every seeded employee. */
export const SEEDED_PASSWORD = DEMO_PASSWORD;
