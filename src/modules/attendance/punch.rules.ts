/**
 * The rule on a punch's time: plausible (not in the future beyond the device clock's drift, not older than an offline
 * queue's reach). What a punch does to its day lives in day.rules.ts; what the day is expected to be, in
 * schedules/schedule.rules.ts.
 */
import { AppError } from '../../infra/errors.ts';

/** Refuses a punch too far in the future (device clocks drift) or too old (beyond an offline queue's reach). */
export function assertPlausibleTime(p: { at: Date; now: Date }, limits: { maxSkewMs: number; maxAgeMs: number }) {
  if (p.at.getTime() > p.now.getTime() + limits.maxSkewMs) {
    throw new AppError(422, 'occurred_in_future', 'occurred_at is in the future; check the device clock');
  }
  if (p.at.getTime() < p.now.getTime() - limits.maxAgeMs) {
    throw new AppError(422, 'occurred_too_old', `occurred_at is older than ${Math.round(limits.maxAgeMs / 3600_000)} hours; ask an admin to enter it`);
  }
}
