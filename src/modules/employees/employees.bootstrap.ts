import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config.ts';
import type { Sql } from '../../infra/db.ts';
import type { Logger } from '../../infra/logger.ts';
import { hashPassword } from '../auth/index.ts';
import { employees } from './employees.repository.ts';

/**
 * Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD when there is no active admin. Without ADMIN_PASSWORD a
 * random one is written to DATA_DIR/admin-password (readable by the owner only), in production as in development: a
 * fresh deployment always has a way in.
 */
export async function ensureAdmin(sql: Sql, config: Config, log: Logger) {
  if ((await employees.activeAdmins(sql)) > 0) return;
  let password = config.adminPassword;
  if (!password) {
    password = randomBytes(12).toString('base64url');
    mkdirSync(config.dataDir, { recursive: true });
    const file = join(config.dataDir, 'admin-password');
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    log.info({ email: config.adminEmail, password_file: file }, 'first admin created; the password is in the file');
  }
  await employees.upsertAdmin(sql, config.adminEmail, await hashPassword(password, config.bcryptCost));
  log.info({ email: config.adminEmail }, 'admin account ready');
}
