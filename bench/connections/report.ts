// The Markdown report: the table, the verdict against the target, the heap and CPU breakdowns, the notes.
import { cell, cpuCell, int, ms, ratio, summaryLines } from '../../harness/index.ts';
import { summariseProfile } from '../cpuprofile-summary.ts';
import type { Field } from './memory.ts';
import { GC, GC_STABLE_ROUNDS, QUIET_S, type ServerKey, SOCKETS, STABLE_SAMPLES, WARMUP_SOCKETS, WAVE } from './options.ts';
import type { RampResult } from './ramp.ts';
import { type HubResult, NAMES } from './servers.ts';

/** The server's CPU time per accepted connection while connecting, in ms (robust to other work on the machine). */
const cpuPerConnection = (r: RampResult) => (r.cpu.hub != null && r.connected > 0 ? ((r.cpu.hub / 100) * r.seconds * 1000) / r.connected : NaN);

export type Row = { key: ServerKey; result: RampResult | HubResult | Error };
const kb = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');

export function report(factLines: string[], rows: Row[], limitText: string, target: number) {
  const out: string[] = [];
  out.push('## Check-in Hub idle connections benchmark', '', ...factLines, `- open files: ${limitText}`, '');
  out.push(
    `Run: ${int(SOCKETS)} idle connections requested${target < SOCKETS ? ` (capped at ${int(target)} by the open-files limit)` : ''}, opened ${WAVE} at a time (a wave settles before the next), websocket transport only, 127.0.0.1 only. ` +
      `Handshake = from creating the client to its \`connect\` (Socket.IO: TCP + upgrade + engine.io open + the auth middleware's token check + namespace connect) or \`open\` (ws), in ms; it includes the wait behind the rest of its wave. ` +
      `Server CPU per connection = the server process's CPU time while connecting ÷ connections (hardly depends on how busy the machine is, unlike the rates). ` +
      (GC
        ? `Memory after full garbage collections in the server (through its inspector, repeated until RSS moved less than 512 KB over ${GC_STABLE_ROUNDS} rounds a second apart, at least ${QUIET_S} s): JS heap used and external memory from process.memoryUsage() in the server, RSS and RssAnon (its anonymous part: V8 heap + malloc) from /proc/<pid>/status; `
        : `Memory from /proc/<server pid>/status (VmRSS; RssAnon = its anonymous part, V8 heap + malloc), each reading the lowest of a quiet period (RSS within 512 KB for ${STABLE_SAMPLES} s after at least ${QUIET_S} s, then 10 s more; no forced GC, so garbage not yet collected counts); `) +
      `before (after a warm-up wave of ${WARMUP_SOCKETS} was opened and closed), then at N/4, N/2, 3N/4 and N sockets. Average = (N − before) ÷ N; marginal = the least-squares slope over the four readings with sockets open, the cost of one more socket once the heap has grown. ` +
      `Ratios in () are against the plain ws server of the same run.`,
    '',
  );
  out.push(
    '| server | connected / requested | accept time s | connections/s | handshake p50 | handshake p99 | max | server CPU ms per connection | **KB per socket: RSS** average / marginal | RssAnon average / marginal | JS heap used average / marginal | external average / marginal | RSS before → N/4 → N/2 → 3N/4 → N, MB | CPU while connecting |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const wsRow = rows.find((r) => r.key === 'ws')?.result;
  const base = wsRow && !(wsRow instanceof Error) ? wsRow : null;
  for (const { key, result: r } of rows) {
    const name = NAMES[key];
    if (r instanceof Error) {
      out.push(`| ${name} | failed: ${cell(r.message.split('\n')[0])} | | | | | | | | | | | | |`);
      continue;
    }
    const vs = (a: number, b: number | undefined) => (base && key !== 'ws' ? ` (${ratio(a, b ?? NaN)})` : '');
    const pair = (f: Field) => `${kb(r.perSocket[f].average)} / ${kb(r.perSocket[f].marginal)}${vs(r.perSocket[f].average, base?.perSocket[f].average)}`;
    const mb = (n: number) => (Number.isFinite(n) ? (n / 1024).toFixed(1) : '—');
    out.push(
      `| ${name} | ${int(r.connected)} / ${int(r.requested)}${r.stillConnected < r.connected ? ` (${int(r.stillConnected)} still open at the end)` : ''} | ${r.seconds.toFixed(1)} | ${int(r.perSecond)}${vs(r.perSecond, base?.perSecond)} | ` +
        `${ms(r.handshake.p50)} | ${ms(r.handshake.p99)}${vs(r.handshake.p99, base?.handshake.p99)} | ${ms(r.handshake.max)} | ` +
        `${ms(cpuPerConnection(r))}${base ? vs(cpuPerConnection(r), cpuPerConnection(base)) : ''} | **${pair('rssKb')}** | ${pair('anonKb')} | ${pair('heapUsedKb')} | ${pair('externalKb')} | ` +
        `${[r.before, ...r.checkpoints].map((m) => mb(m.rssKb)).join(' → ')} | ${cpuCell(r.cpu)} |`,
    );
  }
  out.push('', 'Verdict (target: under 30 KB per idle socket):');
  const hubRow = rows.find((r) => r.key === 'hub')?.result;
  const sioRow = rows.find((r) => r.key === 'sio')?.result;
  const sio = sioRow && !(sioRow instanceof Error) ? sioRow : null;
  if (!hubRow) out.push('- no verdict: the hub was not run (--servers).');
  else if (hubRow instanceof Error) out.push('- no verdict: the hub run failed.');
  else {
    const hub = hubRow as HubResult;
    const rss = hub.perSocket.rssKb;
    const heap = hub.perSocket.heapUsedKb;
    out.push(
      `- hub: ${kb(rss.average)} KB RSS per idle socket on average (${rss.average < 30 ? 'under' : 'NOT under'} 30 KB), ${kb(rss.marginal)} KB marginal` +
        (Number.isFinite(heap.average) ? `; of which JS heap ${kb(heap.average)} KB (${kb(heap.marginal)} marginal) and external ${kb(hub.perSocket.externalKb.average)} KB` : '') +
        (base ? `; ${ratio(rss.average, base.perSocket.rssKb.average)} the plain ws server's ${kb(base.perSocket.rssKb.average)} KB; accepts at ${ratio(hub.perSecond, base.perSecond)} the plain ws rate, ${ratio(cpuPerConnection(hub), cpuPerConnection(base))} its CPU per connection` : '') +
        (sio
          ? `; the bare Socket.IO server takes ${kb(sio.perSocket.rssKb.average)} KB RSS${Number.isFinite(sio.perSocket.heapUsedKb.average) ? ` (${kb(sio.perSocket.heapUsedKb.average)} KB JS heap)` : ''}, so about ${kb(rss.average - sio.perSocket.rssKb.average)} KB RSS${Number.isFinite(heap.average) ? ` and ${kb(heap.average - sio.perSocket.heapUsedKb.average)} KB of JS heap` : ''} per socket are the hub's own (auth identity, handlers, rate-limit buckets, token timer, rooms, connection-state recovery, Redis streams adapter)`
          : '') +
        `${hub.disturbed ? ` (**caution**: ${hub.disturbed})` : ''}; ${int(hub.connected)} of ${int(hub.requested)} sockets reached${hub.stoppedEarly ? ` (stopped: ${hub.stoppedEarly})` : hub.connected < hub.requested ? ` (${int(hub.failures)} failed: ${hub.failureReasons.slice(0, 3).join('; ')})` : ''}.`,
    );
  }
  for (const { key, result: r } of rows) {
    if (r instanceof Error || !r.heap) continue;
    const at = r.checkpoints[0]?.sockets ?? 0;
    out.push(
      '',
      `What grew in the JS heap of the ${NAMES[key]} per socket, from a heap snapshot before and one with ${int(at)} sockets (self sizes; "A ← B.c" = an A first held by property c of a B): ` +
        `${kb(r.heap.perSocket / 1024)} KB and ${r.heap.objectsPerSocket.toFixed(0)} objects per socket in all.`,
      '',
      '| kind of object | per socket | bytes per socket |',
      '|---|---:|---:|',
      ...r.heap.rows.slice(0, 30).map((g) => `| ${cell(g.key.slice(0, 160))} | ${g.count.toFixed(2)} | ${int(g.bytes)} |`),
      '',
      `What the JS heap of the ${NAMES[key]} would lose per socket without these references (bytes no longer reachable in the snapshot with ${int(at)} sockets):`,
      '',
      '| without | bytes per socket |',
      '|---|---:|',
      ...r.heap.whatIf.filter((w) => w.bytes >= 1).map((w) => `| ${cell(w.what)} | ${int(w.bytes)} |`),
    );
  }
  for (const { key, result: r } of rows) {
    if (r instanceof Error || !r.cpuProfile) continue;
    out.push('', `Where the ${NAMES[key]} spent its CPU while accepting the first N/4 (${r.cpuProfile}):`, '', '```', ...summariseProfile(r.cpuProfile, { top: 20 }), '```');
  }
  out.push('', 'Notes:');
  for (const { key, result: r } of rows) {
    const name = NAMES[key];
    if (r instanceof Error) {
      out.push(`- ${name}: failed: ${cell(r.message.split('\n').slice(0, 3).join(' '))}`);
      continue;
    }
    const waits = [r.before, ...r.checkpoints].map((m) => `${(m.waitedMs / 1000).toFixed(0)} s${m.steady ? '' : ' (not steady)'}`);
    const series = (f: Field) => [r.before, ...r.checkpoints].map((m) => (m[f] / 1024).toFixed(1)).join(' → ');
    out.push(
      `- ${name}: ${'tokens' in r ? `${r.tokens}; ` : ''}failures ${int(r.failures)}${r.failureReasons.length ? ` (${r.failureReasons.slice(0, 3).join('; ')})` : ''}; ` +
        `server fds at the end ${r.serverFds ?? '?'}; RssAnon ${series('anonKb')} MB${GC ? `; JS heap used ${series('heapUsedKb')} MB; external ${series('externalKb')} MB` : ''}; ` +
        `peak RSS ${(r.after.hwmKb / 1024).toFixed(1)} MB; reading waits ${waits.join(' / ')}; ` +
        `this process's RSS with every client open ${r.benchRssMb.toFixed(0)} MB; its event-loop delay p99 while connecting (worst segment) ${ms(r.loopDelayP99)} ms.`,
    );
  }
  out.push(
    '- RSS per socket counts everything the server keeps per connection (kernel socket buffers are not in RSS): for the hub, the engine.io and Socket.IO sockets, the `ws` connection and its net.Socket, the handshake (request headers, auth), the first HTTP request (engine.io keeps it), handler closures and rate-limit buckets, the token-expiry timer, rooms, the connection-state-recovery id; heap grown for the connection burst and not given back counts too (that is the gap between average and marginal). ' +
      (GC
        ? 'The readings follow full GCs, so garbage does not count: a server under load carries garbage on top (without forced GCs, runs of this script saw the same hub move by 100 MB within one quiet period). The inspector costs each server the same constant memory, which the per-socket figures subtract out.'
        : 'No GC was forced (--no-gc): a reading depends on when V8 last collected (runs of this script saw a hub with 10,000 idle sockets go from 501 to 387 MB within one quiet period). Treat the KB per socket as ± several KB.'),
    '- Node raises its own soft open-files limit to the hard limit at start, and children inherit it; the hard limit can only be raised with CAP_SYS_RESOURCE outside a container that forbids it. The heartbeat keeps running (Socket.IO pings every 25 s; the plain ws server sends nothing). Every client lives in this one Node process.',
  );
  if (hubRow && !(hubRow instanceof Error)) {
    const h = hubRow as HubResult;
    out.push(
      '',
      ...summaryLines([
        {
          benchmark: `idle authenticated sockets, ${int(h.connected)} connected`,
          hub: `${kb(h.perSocket.rssKb.average)} KB RSS per socket (JS heap ${kb(h.perSocket.heapUsedKb.average)} KB); accepted in ${h.seconds.toFixed(1)} s (${int(h.perSecond)}/s)`,
          baseline: base ? `plain ws: ${kb(base.perSocket.rssKb.average)} KB; ${base.seconds.toFixed(1)} s` : '—',
          ratio: `${base ? `${ratio(h.perSocket.rssKb.average, base.perSocket.rssKb.average)} memory; ` : ''}target < 30 KB ${h.perSocket.rssKb.average < 30 ? '✓' : '✗'}`,
        },
      ]),
    );
  }
  return out.join('\n');
}
