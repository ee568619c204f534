// The hub side: started once per mode (team picked, watchers' user signed in, kiosks registered), then measured once
// per round: W watchers on one team's board, K kiosks punching its members in the open loop.
import type { AttendanceChanged } from '../../src/modules/attendance/index.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  api,
  type Client,
  disturbance,
  type Employee,
  fdLimits,
  inWaves,
  listEmployees,
  login,
  onCleanup,
  openSocket,
  punchTimeOf,
  progress,
  registerKiosks,
  RUN_ID,
  SEEDED_PASSWORD,
  serviceIds,
  type StartedHub,
  startEmbeddedHub,
  startPostgresHub,
} from '../../harness/index.ts';
import { drive, type FanoutResult, type Pending, summarize, Tally } from './loop.ts';
import {
  EMIT_TIMEOUT_MS,
  HUB_CLIENT,
  HUB_NODE_ARGS,
  KIOSKS,
  MIN_MEMBERS,
  type Mode,
  PG_URL,
  PROCESSES,
  RATE,
  REDIS_URL,
  SECONDS,
  SEED_EMPLOYEES,
  SEED_TEAMS,
  servicesOf,
  WARMUP,
  WATCHERS,
  WAVE,
} from './options.ts';
import { openClientWatcher, openRawWatcher, type Watcher } from './watchers.ts';

/** The team with the most badged, active members; its members, created through the REST API up to MIN_MEMBERS. */
async function pickTeam(base: string, adminToken: string, label: string) {
  let employees = await listEmployees(base, adminToken);
  const eligible = (e: Employee) => e.active && e.badge_id && e.team_id != null;
  const counts = new Map<number, number>();
  for (const e of employees) if (eligible(e)) counts.set(e.team_id!, (counts.get(e.team_id!) ?? 0) + 1);
  const team = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
  if (team == null) throw new Error('no team with badged employees');
  const have = counts.get(team)!;
  if (have < MIN_MEMBERS) {
    const missing = MIN_MEMBERS - have;
    progress(`${label}: team ${team} has ${have} badged members; creating ${missing} more through POST /employees/`);
    await inWaves(Array.from({ length: missing }, (_, i) => i), 8, async (i) => {
      await api(base, 'POST', '/employees/', {
        token: adminToken,
        json: {
          name: `Bench Member ${i}`,
          email: `bench.${RUN_ID}.${i}@example.com`.toLowerCase(),
          password: `Bench-${RUN_ID}-${i}-42`,
          team_id: team,
          badge_id: `BENCH${RUN_ID}${i}`.replace(/[^\x21-\x7e]/g, ''),
        },
      });
    }).then((results) => {
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    });
    employees = await listEmployees(base, adminToken);
  }
  const members = employees.filter((e) => eligible(e) && e.team_id === team).sort((a, b) => a.employee_id - b.employee_id);
  const managers = employees.filter((e) => e.active && e.access === 'manager' && e.team_id === team);
  return { team, members, managers };
}

export type HubSetup = { label: string; mode: Mode; started: StartedHub; team: number; members: Employee[]; watcherTokens: string[]; watcherKind: string; kioskTokens: string[] };

/** Starts the hub, picks the team, signs in the watchers' user, registers the kiosks (once per mode, for every round). */
export async function setupHub(mode: Mode): Promise<HubSetup> {
  const label = `hub (${mode})`;
  const started =
    mode === 'embedded'
      ? await startEmbeddedHub(label, { nodeArgs: HUB_NODE_ARGS })
      : await startPostgresHub(label, { pgUrl: PG_URL, redisUrl: REDIS_URL, employees: SEED_EMPLOYEES, days: 1, teams: SEED_TEAMS, nodeArgs: HUB_NODE_ARGS, extraEnv: { API_PROCESSES: String(PROCESSES) } });
  try {
    const base = started.hub.url;
    const adminToken = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
    const { team, members, managers } = await pickTeam(base, adminToken, label);
    // Watchers: the team's managers (seeded with the demo password), else the admin.
    const watcherTokens: string[] = [];
    for (const m of managers) {
      try {
        watcherTokens.push(await login(base, m.email, SEEDED_PASSWORD));
      } catch (error) {
        progress(`${label}: could not sign in as manager ${m.email}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    const watcherKind = watcherTokens.length ? `manager${watcherTokens.length > 1 ? 's' : ''} of the team` : 'admin';
    if (!watcherTokens.length) watcherTokens.push(adminToken);
    progress(`${label}: registering ${KIOSKS} kiosks`);
    const kioskTokens = await registerKiosks(base, adminToken, KIOSKS, 'bench fanout kiosk');
    return { label, mode, started, team, members, watcherTokens, watcherKind, kioskTokens };
  } catch (error) {
    await started.stop();
    throw error;
  }
}

/** One measured hub run: connects the watchers and kiosks, punches in the open loop, closes every socket. */
export async function hubRun(setup: HubSetup, round: number): Promise<FanoutResult> {
  const { label, team, members, watcherTokens, watcherKind, kioskTokens } = setup;
  const hub = setup.started.hub;
  const base = hub.url;
  const errorsBefore = hub.errorLines.length;
  const services = servicesOf(setup.mode === 'postgres');
  const ids = await serviceIds(services.pgUrl, services.redisUrl);
  const sockets: (Client | Watcher)[] = [];
  const closeSockets = onCleanup(`${label} sockets`, async () => {
    for (const s of sockets) s.close();
    sockets.length = 0;
  });
  try {
    progress(`${label}: connecting ${WATCHERS} watchers (${watcherKind}, ${HUB_CLIENT} client) to team ${team}'s board, ${WAVE} at a time`);
    const tally = new Tally();
    let payloadBytes = NaN;
    const keyOf = (employeeId: number, at: string | null) => `${employeeId}|${at}`;
    const onChanged = (change: AttendanceChanged, frameBytes: number) => {
      const now = performance.now();
      const at = punchTimeOf(change.action, change.record);
      tally.delivered(keyOf(change.record.employee_id, at), now);
      if (!Number.isFinite(payloadBytes) && Number.isFinite(frameBytes)) payloadBytes = frameBytes;
    };
    const openWatcher = HUB_CLIENT === 'raw' ? openRawWatcher : openClientWatcher;
    const connectStarted = performance.now();
    const results = await inWaves(Array.from({ length: WATCHERS }, (_, i) => i), WAVE, async (i) => {
      const watcher = await openWatcher(base, watcherTokens[i % watcherTokens.length], team, onChanged);
      sockets.push(watcher);
    });
    const connectSeconds = (performance.now() - connectStarted) / 1000;
    const failures = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    const watching = results.length - failures.length;
    if (failures.length) progress(`${label}: ${failures.length} watchers failed to connect/join; the first: ${failures[0].reason?.message ?? failures[0].reason}`);
    if (!watching) throw new Error(`no watcher could join the board: ${failures[0]?.reason?.message ?? 'unknown'}`);
    progress(`${label}: ${watching} watchers on the board in ${connectSeconds.toFixed(1)} s; connecting ${KIOSKS} kiosks`);
    const kiosks = await Promise.all(kioskTokens.map((t) => openSocket(base, t)));
    sockets.push(...kiosks);

    progress(`${label}: round ${round}: ${RATE} punches/s for ${WARMUP} s warm-up + ${SECONDS} s measured over ${members.length} members of team ${team}`);
    const lastAt = new Map<number, number>();
    const d = await drive(label, tally, hub.pid, watching, (n, measured) => {
      const kiosk = kiosks[n % kiosks.length];
      const employee = members[n % members.length];
      const atMs = Math.max(Date.now(), (lastAt.get(employee.employee_id) ?? 0) + 1);
      lastAt.set(employee.employee_id, atMs);
      const occurred_at = new Date(atMs).toISOString();
      const p: Pending = { t0: performance.now(), measured, received: 0, acked: false };
      tally.pending.set(keyOf(employee.employee_id, occurred_at), p);
      kiosk
        .timeout(EMIT_TIMEOUT_MS)
        .emitWithAck('attendance:check', { badge_id: employee.badge_id!, client_event_id: `fanout-${RUN_ID}-${round}-${n}`, occurred_at })
        .then(
          (ack) => {
            if (!ack.ok) return measured && tally.error(ack.error.code);
            if (ack.duplicate) return measured && tally.error('unexpected_duplicate');
            tally.acked(p);
          },
          () => measured && tally.error(kiosk.connected ? 'ack_timeout' : 'kiosk_disconnected'),
        );
    });
    if (hub.child.exitCode !== null || hub.child.signalCode !== null) throw new Error(`the hub process exited during the run (${hub.child.exitCode ?? hub.child.signalCode}): ${hub.tail.slice(-3).join(' ').slice(0, 500)}`);
    const disturbed = disturbance(ids, await serviceIds(services.pgUrl, services.redisUrl));
    if (disturbed) progress(`${label}: ${disturbed}`);
    const newErrors = hub.errorLines.slice(errorsBefore);
    if (newErrors.length) progress(`${label}: the hub logged ${newErrors.length} errors; the first: ${newErrors[0].slice(0, 1000)}`);
    return summarize(tally, d, {
      watchers: watching,
      kiosks: KIOSKS,
      payloadBytes,
      serverErrorLogs: newErrors.length,
      connectSeconds,
      disturbed,
      notes: [`watchers: ${watcherKind}, ${HUB_CLIENT === 'raw' ? 'speaking the Engine.IO/Socket.IO wire protocol over bare ws clients (one JSON.parse per message, as the ws baseline)' : 'socket.io-client'}; team ${team}, ${members.length} members punched in turn; ${setup.started.mode}; hub open-files limit ${fdLimits(hub.pid)?.soft ?? '?'}`],
    });
  } finally {
    await closeSockets();
  }
}
