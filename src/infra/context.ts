import type { Config } from '../config.ts';
import type { Em } from './db.ts';
import type { Bus } from './bus.ts';
import type { AuthUser } from './http.ts';
import type { Logger } from './logger.ts';

/** What a service call needs: its own entity manager, who is asking, and the shared parts. */
export type Ctx = {
  em: Em;
  user: AuthUser | null;
  config: Config;
  log: Logger;
  bus: Bus;
  /** Device name when the caller is a kiosk. */
  device?: string | null;
};
