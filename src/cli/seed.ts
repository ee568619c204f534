// npm run db:seed [-- --employees 10000 --days 365 --teams 7 --reset]
// Loads the demo organisation; with --employees/--days it becomes a volume load with a progress bar.
import { parseArgs } from 'node:util';
import { seedDemo } from '../../seeds/demo.ts';
import { loadConfig } from '../config.ts';
import { DEMO_PASSWORD } from '../bootstrap.ts';
import { openDatabase } from '../database.ts';
import { sqlOf, type Em } from '../infra/db.ts';
import { createLogger } from '../infra/logger.ts';
import { untilReachable } from '../infra/startup.ts';
import { hashPassword } from '../modules/auth/index.ts';
import { ensureAdmin } from '../modules/employees/index.ts';
import { teams } from '../modules/teams/index.ts';

const { values } = parseArgs({
  options: {
    employees: { type: 'string', default: '60' },
    days: { type: 'string', default: '90' },
    teams: { type: 'string' },
    reset: { type: 'boolean', default: false },
    'no-punches': { type: 'boolean', default: false },
  },
});
const employees = Number(values.employees);
const days = Number(values.days);
if (!Number.isInteger(employees) || employees < 1 || !Number.isInteger(days) || days < 1) {
  console.error('--employees and --days must be positive whole numbers');
  process.exit(2);
}

const config = loadConfig();
const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
const orm = await openDatabase(config);
await untilReachable(orm, log, { migrate: true });
const em = orm.em.fork() as Em;
if ((await teams.ids(sqlOf(em))).length > 0 && !values.reset) {
  console.error('The database already has data. Run with --reset to replace it (this deletes every team, employee and record).');
  await orm.close();
  process.exit(1);
}
if (values.reset) await em.execute('truncate audit_log, punch_keys, punches, attendance, summaries, kiosks, employee_schedules, holidays, employees, teams, schedule_versions, schedules restart identity cascade');

const started = performance.now();
const bar = (done: number, total: number) => {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const secs = (performance.now() - started) / 1000;
  const rate = Math.round(done / Math.max(secs, 0.001));
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${((done / total) * 100).toFixed(1)}%  ${done.toLocaleString('en')}/${total.toLocaleString('en')} employee-days  ${rate.toLocaleString('en')}/s   `);
};
const summary = await seedDemo(em, {
  employees,
  days,
  teams: values.teams ? Number(values.teams) : undefined,
  timezone: config.timezone,
  passwordHash: await hashPassword(DEMO_PASSWORD, config.bcryptCost),
  punches: values['no-punches'] ? false : undefined,
  onProgress: bar,
});
const secs = (performance.now() - started) / 1000;
process.stderr.write('\n');
await ensureAdmin(sqlOf(em), config, createLogger('info'));
const rows = summary.records + summary.punches + summary.employees;
console.log(
  `Seeded ${summary.teams} teams, ${summary.employees.toLocaleString('en')} employees, ${summary.records.toLocaleString('en')} attendance records, ` +
    `${summary.punches.toLocaleString('en')} punches in ${secs.toFixed(1)} s (${Math.round(rows / secs).toLocaleString('en')} rows/s).`,
);
console.log(`Managers (password "${DEMO_PASSWORD}"): ${summary.managers.map((m) => `${m.email} (${m.team})`).join(', ')}`);
await orm.close();
