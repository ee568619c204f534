/** Kept for callers of the first period parser: the periods now live in periods.ts. */
export { numberFrom, resolvePeriod, type Period } from './periods.ts';
