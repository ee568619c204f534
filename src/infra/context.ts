import type { Config } from '../config.ts';
import type { Bus } from './bus.ts';
import type { Em } from './db.ts';
import type { GroupCommits } from './group-commit.ts';
import type { Logger } from './logger.ts';

/** The access levels a person can have, least to most. */
export const ACCESS_LEVELS = ['employee', 'manager', 'admin'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

/** The signed-in caller, resolved once per request (or socket handshake) from the bearer token. */
/** What an API key may do: each REST endpoint names the one scope it needs (`apiScope`). */
export const API_SCOPES = ['attendance:read', 'attendance:write', 'punch', 'employees:read', 'employees:write', 'webhooks', 'reports:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/**
 * Who asks: a person, or an API key acting for the organisation (`api_key_id` and its `scopes`; it has admin's reach
 * within its scopes, `employee_id` 0, and the audit trail names the key).
 */
export type AuthUser = { employee_id: number; access: Access; team_id: number | null; name: string; api_key_id?: number; scopes?: readonly ApiScope[] };

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
