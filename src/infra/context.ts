import type { Config } from '../config.ts';
import type { Bus } from './bus.ts';
import type { Em } from './db.ts';
import type { GroupCommits } from './group-commit.ts';
import type { Logger } from './logger.ts';

/** The access levels a person can have, least to most. */
export const ACCESS_LEVELS = ['employee', 'manager', 'admin'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

/** The signed-in caller, resolved once per request (or socket handshake) from the bearer token. */
export type AuthUser = { employee_id: number; access: Access; team_id: number | null; name: string };

/** What a service call needs: its own entity manager, who is asking, and the shared parts. */
export type Ctx = {
  em: Em;
  /** The person asking; null for a kiosk or the system (they act for the organisation). */
  user: AuthUser | null;
  config: Config;
  log: Logger;
  bus: Bus;
  /** The batchers of this process (group commit), created once at start. */
  commits: GroupCommits;
  /** Device name when the caller is a kiosk. */
  device?: string | null;
};
