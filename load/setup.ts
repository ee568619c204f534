// The hub calls load/run.ts makes before and after artillery: sign in, list what the scenarios need, register and
// revoke kiosks. Everything here goes to the one target run.ts has checked is a loopback address.

import { mapLimit } from '../src/infra/concurrency.ts';

export type Credentials = { email: string; password: string };
export type SignedIn = Credentials & { token: string; expires_in: number; access: string; team_id: number | null };
export type Badge = { badge_id: string; employee_id: number; team_id: number | null };
export type Team = { team_id: number; team_name: string };
export type Kiosk = { kiosk_id: number; token: string };

type Hub = { target: string };

/** A call to the hub that fails loudly with the status and the body's `detail`. */
async function call<T>(hub: Hub, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<{ body: T; headers: Headers }> {
  const res = await fetch(new URL(path, hub.target), {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) {
    let detail = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { detail?: unknown };
      detail = typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail);
    } catch {
      // not JSON: keep the text
    }
    throw new Error(`${method} ${path}: ${res.status} ${detail}`);
  }
  return { body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}


/** Is a hub answering at `target`? (run.ts never starts one.) */
export async function checkReady(hub: Hub): Promise<void> {
  await call(hub, 'GET', '/readyz');
}

/** POST /token; the access level and team come from GET /teams/ and the token itself. */
export async function signIn(hub: Hub, who: Credentials): Promise<SignedIn> {
  const { body } = await call<{ access_token: string; expires_in: number }>(hub, 'POST', '/token', {
    body: { username: who.email, password: who.password },
  });
  const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
  const access = String(claims.access ?? claims.role ?? 'unknown');
  return { ...who, token: body.access_token, expires_in: body.expires_in, access, team_id: null };
}

/** Every item of a list endpoint, page by page (limit 1000, the API's maximum), up to `max` items. */
async function listAll<T>(hub: Hub, token: string, path: string, max: number): Promise<T[]> {
  const items: T[] = [];
  for (let skip = 0; items.length < max; skip += 1000) {
    const sep = path.includes('?') ? '&' : '?';
    const { body, headers } = await call<T[]>(hub, 'GET', `${path}${sep}limit=1000&skip=${skip}`, { token });
    items.push(...body);
    const total = Number(headers.get('x-total-count') ?? items.length);
    if (body.length === 0 || items.length >= total) break;
  }
  return items.slice(0, max);
}

export async function listTeams(hub: Hub, token: string): Promise<Team[]> {
  return listAll<Team>(hub, token, '/teams/', 10_000);
}

/** Active employees with a badge (what a kiosk can punch); badges with a comma or quote would not survive the CSV. */
export async function listBadges(hub: Hub, token: string, max = 50_000): Promise<Badge[]> {
  const people = await listAll<Badge & { active: boolean }>(hub, token, '/employees/?active=true', max);
  return people
    .filter((p) => p.badge_id && !/[,"]/.test(p.badge_id))
    .map((p) => ({ badge_id: p.badge_id, employee_id: p.employee_id, team_id: p.team_id }));
}

/**
 * Signs in the managers (their emails from GET /employees/?access=manager, one shared password, as in the demo data).
 * Stops at the first wrong password, so a run never feeds the hub's sign-in throttling more than one failure.
 */
export async function signInManagers(hub: Hub, adminToken: string, password: string, max: number): Promise<SignedIn[]> {
  const managers = await listAll<{ email: string; team_id: number | null }>(hub, adminToken, '/employees/?access=manager&active=true', max);
  const out: SignedIn[] = [];
  for (const m of managers.filter((m) => m.team_id !== null)) {
    try {
      const s = await signIn(hub, { email: m.email, password });
      out.push({ ...s, access: 'manager', team_id: m.team_id });
    } catch (error) {
      console.error(`  managers: ${m.email} could not sign in (${(error as Error).message}); skipping the other managers`);
      break;
    }
  }
  return out;
}

/** Registers `count` kiosks named after the run (POST /kiosks/, no team: they accept every badge). */
export async function registerKiosks(hub: Hub, adminToken: string, runId: string, count: number): Promise<Kiosk[]> {
  const names = Array.from({ length: count }, (_, i) => `load ${runId} #${i + 1}`);
  return mapLimit(names, 8, async (name) => {
    const { body } = await call<Kiosk>(hub, 'POST', '/kiosks/', { token: adminToken, body: { name } });
    return { kiosk_id: body.kiosk_id, token: body.token };
  });
}

/** Revokes the run's kiosks (their tokens stop working; the rows stay, as for any revoked kiosk). */
export async function revokeKiosks(hub: Hub, adminToken: string, kiosks: Kiosk[]): Promise<number> {
  let failed = 0;
  await mapLimit(kiosks, 8, async (k) => {
    try {
      await call(hub, 'DELETE', `/kiosks/${k.kiosk_id}`, { token: adminToken });
    } catch {
      failed++;
    }
  });
  return failed;
}

export type HubMetrics = { cpuSeconds: number; lagMaxMs: number; lagP99Ms: number; lagMeanMs: number; at: number };

/**
 * A few of the hub's own gauges from GET /metrics (admins may read it): process CPU so far, and the event-loop lag
 * since the previous scrape (prom-client resets its lag histogram at each scrape). Null when not available.
 */
export async function hubMetrics(hub: Hub, adminToken: string): Promise<HubMetrics | null> {
  try {
    const res = await fetch(new URL('/metrics', hub.target), { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) return null;
    const text = await res.text();
    const value = (name: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
    };
    const cpu = value('checkin_process_cpu_seconds_total');
    if (!Number.isFinite(cpu)) return null;
    return {
      cpuSeconds: cpu,
      lagMaxMs: value('checkin_nodejs_eventloop_lag_max_seconds') * 1000,
      lagP99Ms: value('checkin_nodejs_eventloop_lag_p99_seconds') * 1000,
      lagMeanMs: value('checkin_nodejs_eventloop_lag_mean_seconds') * 1000,
      at: Date.now(),
    };
  } catch {
    return null;
  }
}
