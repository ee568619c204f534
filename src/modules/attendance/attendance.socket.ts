import * as v from 'valibot';
import { sqlOf } from '../../infra/db.ts';
import { AppError, forbidden } from '../../infra/errors.ts';
import { metrics } from '../../infra/metrics.ts';
import { EmployeeNumberSchema, employeeByPin, PinSchema } from '../employees/index.ts';
import { kiosks } from '../kiosks/index.ts';
import type { SocketHandlers } from '../realtime/index.ts';
import { PunchEntries } from './attendance.schema.ts';
import { PUNCH_INTENTS } from './punch.entity.ts';
import { punch } from './punch.service.ts';

const CheckPayload = v.pipe(
  v.strictObject(
    {
      ...PunchEntries,
      /** auto (default) toggles: in when out, out when in; a kiosk with separate in and out keys sends which. */
      intent: v.optional(v.picklist(PUNCH_INTENTS, `intent must be one of: ${PUNCH_INTENTS.join(', ')}`), 'auto'),
      /** Kiosks: an employee number and its PIN instead of a badge (checked online only: never queue these offline). */
      employee_number: v.optional(EmployeeNumberSchema),
      pin: v.optional(PinSchema),
    },
    'payload must be an object with only badge_id, employee_id, employee_number, pin, client_event_id, occurred_at and intent',
  ),
  v.check(
    (p) => [p.employee_id, p.badge_id, p.employee_number].filter((x) => x !== undefined).length === 1,
    'give exactly one of employee_id, badge_id or employee_number (with pin)',
  ),
  v.check((p) => (p.employee_number === undefined) === (p.pin === undefined), 'employee_number and pin go together'),
);

/** How often a kiosk's last_seen_at is written while it punches. */
const TOUCH_EVERY_MS = 30_000;

/** `attendance:check`: the same punch service as POST /attendance/check-in; `intent` auto toggles in and out. */
export const attendanceSocket: SocketHandlers = ({ on, who, socket, deps }) => {
  let lastTouch = Date.now();
  on(
    'attendance:check',
    CheckPayload,
    async (ctx, input) => {
      const started = performance.now();
      const source = who.kind === 'kiosk' ? 'kiosk' : 'web';
      if (who.kind === 'kiosk') {
        if (!input.client_event_id) throw new AppError(422, 'validation_error', 'client_event_id is required from kiosks');
        if (Date.now() - lastTouch > TOUCH_EVERY_MS) {
          lastTouch = Date.now();
          void kiosks.touch(sqlOf(ctx.em), who.kiosk_id).catch(() => undefined);
        }
      }
      try {
        const { employee_number, pin, ...rest } = input;
        let req: typeof rest = rest;
        if (employee_number !== undefined) {
          // A PIN is a kiosk's way in. It is resolved to the person before the punch joins a batch (the compare is
          // bcrypt: a few ms it must not hold a group commit for), then punched as a badge would be.
          if (who.kind !== 'kiosk') throw forbidden('Employee number and PIN are for kiosks; punch with your own account');
          req = { ...rest, employee_id: await employeeByPin(sqlOf(ctx.em), deps.budgets, who.kiosk_id, employee_number, pin!) };
        }
        const result = await punch(ctx, { ...req, source, restrictToTeam: who.kind === 'kiosk' ? who.team_id : null });
        metrics().punches.inc({ source, outcome: result.duplicate ? 'duplicate' : 'ok' });
        return result;
      } catch (error) {
        metrics().punches.inc({ source, outcome: 'rejected' });
        throw error;
      } finally {
        metrics().punchAck.observe((performance.now() - started) / 1000);
      }
    },
    // A kiosk socket has a punch budget of its own besides its event budget.
    { budget: who.kind === 'kiosk' ? { budget: deps.budgets.kioskPunches, key: socket.id } : undefined, unitOfWork: false },
  );
};
