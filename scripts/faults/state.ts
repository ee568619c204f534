// The mutable state of one run, shared by the generator, the faults, the watchers, the verification and the cleanup.
import type { Client } from '../../harness/index.ts';
import type { Kiosk } from './kiosks.ts';
import type { Proc } from './processes.ts';
import type { BoardWatcher } from './watchers.ts';

export const state = {
  /** Set once the run is over (or interrupted): nothing is restarted or retried any more. */
  finishing: false,
  /** Acks that named another employee than the punch's badge. */
  ackMismatches: 0,
  worker: null as Proc | null,
  ticker: null as NodeJS.Timeout | null,
  dbCreated: false,
  cleaning: null as Promise<void> | null,
};

// The processes of the run: hubs[0] is instance A, hubs[1] instance B.
export const hubs: (Proc | null)[] = [null, null];
export const everyProc: Proc[] = [];
export const kiosks: Kiosk[] = [];
/** Kiosks that take no random punches (the poison door). */
export const extraKiosks: Kiosk[] = [];
export const extraSockets: Client[] = [];
export const watchers: BoardWatcher[] = [];
