import type { Budgets } from '../../infra/budgets.ts';
import type { Sql } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import { hashPassword, verifyPassword } from '../auth/index.ts';
import { employees } from './employees.repository.ts';

/**
 * Kiosk PINs: an employee number and a PIN of 4 to 8 digits, instead of a badge.
 *
 * A PIN has at most 10^8 values (10^4 for most): what protects it is the throttle, not the hash. The hash is bcrypt at
 * a moderate cost (8, about a quarter of a sign-in's) so that a PIN punch at the door answers quickly and does not
 * hold the bcrypt workers that sign-ins share; it still makes a dump of the table cost something to reverse.
 */
export const PIN_BCRYPT_COST = 8;

export const hashPin = (pin: string) => hashPassword(pin, PIN_BCRYPT_COST);

/** Compared against when the number is unknown or has no PIN, so every wrong answer takes the same time. */
let dummyHash: Promise<string> | null = null;

/** The one answer to a wrong number or a wrong PIN: which of the two is never said. */
export const invalidPin = () => new AppError(403, 'invalid_pin', 'Unknown employee number or wrong PIN');

const pinLocked = (seconds: number, message: string) =>
  new AppError(429, 'pin_locked', message, { headers: { 'Retry-After': String(Math.max(1, Math.ceil(seconds))) } });

/**
 * The employee an employee number and PIN name, at a kiosk; throws `invalid_pin` or `pin_locked` (with Retry-After).
 *
 * Each attempt takes a point of the number's budget (PIN_ATTEMPTS_PER_EMPLOYEE) and of the kiosk's
 * (PIN_ATTEMPTS_PER_KIOSK) *before* the PIN is compared, so a burst of concurrent guesses cannot slip past the count
 * while the compares run. A right PIN gives the kiosk's point back and clears the number's count; a wrong one keeps
 * both. The number's budget is keyed by the number typed, whether anyone has it or not, so a lock says nothing about
 * which numbers exist. Past the number's budget even the right PIN is refused until the window ends (badges still work).
 */
export async function employeeByPin(sql: Sql, budgets: Pick<Budgets, 'pinPerEmployee' | 'pinPerKiosk'>, kioskId: number, employeeNumber: string, pin: string): Promise<number> {
  const kioskKey = String(kioskId);
  const kioskWait = await budgets.pinPerKiosk.take(kioskKey);
  if (kioskWait) throw pinLocked(kioskWait, 'Too many wrong PINs at this kiosk; use a badge, or try again later');
  const numberWait = await budgets.pinPerEmployee.take(employeeNumber);
  if (numberWait) {
    // Refused without a compare: not an attempt at this kiosk.
    await budgets.pinPerKiosk.give(kioskKey);
    throw pinLocked(numberWait, 'Too many wrong PINs for this employee number; use a badge, or try again later');
  }
  const found = await employees.pinCredentials(sql, employeeNumber);
  dummyHash ??= hashPin('not-a-pin');
  const matches = await verifyPassword(pin, found?.pin_hash ?? (await dummyHash));
  if (!matches || !found?.pin_hash) throw invalidPin();
  await Promise.all([budgets.pinPerEmployee.reset(employeeNumber), budgets.pinPerKiosk.give(kioskKey)]);
  return found.employee_id;
}
