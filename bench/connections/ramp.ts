// One ramp: open N idle connections in waves, measuring each handshake, and the server's memory around it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type Cpu,
  cpuMark,
  cpuSince,
  heapGrowth,
  type HeapSummary,
  int,
  isFinishing,
  onCleanup,
  openFds,
  percentile,
  procMemory,
  progress,
  type ServerProcess,
  sleep,
} from '../../harness/index.ts';
import { connectInspector, describe, NO_READING, type PerSocket, perSocketCost, type Reading, readMemory, snapshotFile, WHAT_IFS, type WhatIf } from './memory.ts';
import { CHECKPOINTS, CPU_DIR, GC, HEAP_DIFF, QUIET_S, SOCKETS, STABLE_SAMPLES, STOP_FAILURE_SHARE, WARMUP_SOCKETS, WAVE } from './options.ts';

export type Closable = { close: () => void; connected: () => boolean };
export type Opener = (index: number) => Promise<Closable>;

export type RampResult = {
  requested: number;
  target: number;
  connected: number;
  stillConnected: number;
  seconds: number;
  perSecond: number;
  handshake: { p50: number; p99: number; max: number };
  failures: number;
  failureReasons: string[];
  stoppedEarly: string | null;
  before: Reading;
  /** The readings at 1/4, 2/4, 3/4 and all of the sockets. */
  checkpoints: (Reading & { sockets: number })[];
  after: Reading;
  /** KB per socket of each field (average and marginal: perSocketCost). */
  perSocket: PerSocket;
  /** With --heap-diff: what the heap holds more at the first checkpoint than before, per socket, and what dropping some references would free. */
  heap: (ReturnType<typeof heapGrowth> & { whatIf: (WhatIf & { bytes: number })[] }) | null;
  /** With --cpu-prof: the server's CPU profile while it accepted the first N/4. */
  cpuProfile: string | null;
  serverFds: number | null;
  benchRssMb: number;
  cpu: Cpu;
  loopDelayP99: number;
};

/** How the server process ended, or null while it runs. */
const exitOf = (server: ServerProcess) =>
  server.child.exitCode !== null ? `exited with code ${server.child.exitCode}` : server.child.signalCode !== null ? `was killed by ${server.child.signalCode}` : null;

/** Two CPU readings of `a` and `b` seconds as one, weighted by their durations. */
function weighCpu(x: Cpu | null, a: number, y: Cpu, b: number): Cpu {
  if (!x || a <= 0) return y;
  const mix = (p: number | null, q: number | null) => (p == null || q == null ? null : (p * a + q * b) / (a + b));
  return { hub: mix(x.hub, y.hub), bench: mix(x.bench, y.bench)!, postgres: mix(x.postgres, y.postgres)!, redis: mix(x.redis, y.redis)!, machine: mix(x.machine, y.machine) };
}

export async function ramp(label: string, server: ServerProcess, target: number, open: Opener): Promise<RampResult> {
  const inspector = GC ? await connectInspector(label, server) : null;
  const held: Closable[] = [];
  const closeAll = onCleanup(`${label} sockets`, async () => {
    for (const s of held) s.close();
    held.length = 0;
  });
  try {
    // Warm-up: one wave opened and closed, so code paths, pools and caches the first connections create are not
    // counted as per-socket memory.
    if (WARMUP_SOCKETS > 0) {
      progress(`${label}: warm-up: opening and closing ${WARMUP_SOCKETS} connections`);
      const warm = await Promise.allSettled(Array.from({ length: WARMUP_SOCKETS }, (_, i) => open(i)));
      for (const r of warm) if (r.status === 'fulfilled') r.value.close();
      const failed = warm.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      if (failed.length) progress(`${label}: ${failed.length} warm-up connections failed; the first: ${failed[0].reason?.message ?? failed[0].reason}`);
    }
    progress(`${label}: ${inspector ? 'full GCs until RSS is steady' : `waiting for a quiet server (RSS steady for ${STABLE_SAMPLES} s after at least ${QUIET_S} s, then 10 s more)`}`);
    const before = await readMemory(server, inspector);
    progress(`${label}: before: ${describe(before)}`);
    let heapBefore: HeapSummary | null = null;
    if (inspector && HEAP_DIFF) {
      progress(`${label}: heap snapshot before`);
      heapBefore = (await inspector.heapSnapshot(snapshotFile(label, 0))).summary();
    }
    let heap: RampResult['heap'] = null;
    let cpuProfile: string | null = null;

    const handshakes: number[] = [];
    const reasons = new Map<string, number>();
    let failures = 0;
    let stoppedEarly: string | null = null;
    // One histogram per segment (one disabled over a quiet period would count that period as a delay); the worst p99.
    let loopDelayP99 = NaN;
    let seconds = 0;
    let cpuWeighted: Cpu | null = null;
    let lastReport = performance.now();
    const stops = [...new Set(CHECKPOINTS.map((f) => Math.ceil(target * f)))].filter((n) => n > 0);
    const checkpoints: RampResult['checkpoints'] = [];
    let after: Reading = { ...before };
    // Segments 0 → N/4 → N/2 → 3N/4 → N, each followed by a quiet reading: the slope over the readings is the marginal
    // cost of a socket, without the one-time growth of the first segment, and steadier than any two readings.
    for (const [k, to] of stops.entries()) {
      const from = k ? stops[k - 1] : 0;
      if (to <= from || stoppedEarly || isFinishing()) continue;
      const segmentDelay = monitorEventLoopDelay({ resolution: 10 });
      segmentDelay.enable();
      const profiling = Boolean(inspector && CPU_DIR && k === 0);
      if (profiling) {
        await inspector!.send('Profiler.enable');
        await inspector!.send('Profiler.start');
      }
      const mark = cpuMark(server.pid);
      const started = performance.now();
      for (let i = from; i < to && !isFinishing(); i += WAVE) {
        const size = Math.min(WAVE, to - i);
        const results = await Promise.allSettled(
          Array.from({ length: size }, async (_, k) => {
            const t0 = performance.now();
            const socket = await open(i + k);
            handshakes.push(performance.now() - t0);
            held.push(socket);
          }),
        );
        const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
        failures += failed.length;
        for (const f of failed) {
          const reason = String(f.reason?.message ?? f.reason).split('\n')[0].slice(0, 200);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        }
        if (performance.now() - lastReport > 2000 || i + size >= to) {
          lastReport = performance.now();
          progress(`${label}: ${int(held.length)} / ${int(target)} connected (${int(failures)} failed), server fds ${openFds(server.pid) ?? '?'}`);
        }
        const gone = exitOf(server);
        if (gone) {
          stoppedEarly = `the server process ${gone}`;
          progress(`${label}: stopping the ramp: ${stoppedEarly}`);
          break;
        }
        if (failed.length > STOP_FAILURE_SHARE * size) {
          stoppedEarly = `a wave of ${size} had ${failed.length} failures (${[...reasons.keys()].slice(0, 2).join('; ')})`;
          progress(`${label}: stopping the ramp: ${stoppedEarly}`);
          break;
        }
      }
      const secs = (performance.now() - started) / 1000;
      segmentDelay.disable();
      if (profiling) {
        const { profile } = await inspector!.send<{ profile: unknown }>('Profiler.stop');
        await inspector!.send('Profiler.disable');
        cpuProfile = join(CPU_DIR!, `${label.replace(/\W+/g, '-')}-accept.cpuprofile`);
        writeFileSync(cpuProfile, JSON.stringify(profile));
        progress(`${label}: CPU profile of accepting ${int(to - from)} connections in ${cpuProfile}`);
      }
      if (segmentDelay.count) loopDelayP99 = Math.max(Number.isFinite(loopDelayP99) ? loopDelayP99 : 0, segmentDelay.percentile(99) / 1e6);
      cpuWeighted = weighCpu(cpuWeighted, seconds, cpuSince(mark, server.pid), secs);
      seconds += secs;
      progress(`${label}: ${int(held.length)} connected after ${seconds.toFixed(1)} s of connecting; reading memory`);
      if (exitOf(server)) {
        after = NO_READING;
        break;
      }
      // Let the last handshakes and their log lines finish before the collections.
      await sleep(2000);
      const reading = await readMemory(server, inspector);
      progress(`${label}: with ${int(held.length)} sockets: ${describe(reading)}`);
      checkpoints.push({ ...reading, sockets: held.length });
      after = reading;
      if (inspector && heapBefore && !heap && held.length) {
        progress(`${label}: heap snapshot with ${int(held.length)} sockets`);
        const graph = await inspector.heapSnapshot(snapshotFile(label, held.length));
        heap = { ...heapGrowth(heapBefore, graph.summary(), held.length), whatIf: WHAT_IFS.map((w) => ({ ...w, bytes: graph.freedBy(w.cuts) / held.length })) };
        heapBefore = null;
      }
    }
    const connected = held.length;
    const stillConnected = held.filter((s) => s.connected()).length;
    if (stillConnected < connected) progress(`${label}: only ${int(stillConnected)} of ${int(connected)} still connected`);
    const sorted = Float64Array.from(handshakes).sort();
    const perSocket = perSocketCost(before, after, checkpoints, connected);
    return {
      requested: SOCKETS,
      target,
      connected,
      stillConnected,
      seconds,
      perSecond: connected / seconds,
      handshake: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1] : NaN },
      failures,
      failureReasons: [...reasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n}× ${r}`),
      stoppedEarly,
      before,
      checkpoints,
      after,
      perSocket,
      heap,
      cpuProfile,
      serverFds: openFds(server.pid),
      benchRssMb: (procMemory(process.pid)?.rssKb ?? NaN) / 1024,
      cpu: cpuWeighted!,
      loopDelayP99,
    };
  } finally {
    progress(`${label}: closing ${int(held.length)} connections`);
    await closeAll();
    inspector?.close();
    // Let the server see the closes before it is stopped or the next ramp starts.
    await sleep(2000);
  }
}
