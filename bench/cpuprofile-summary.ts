// npx node bench/cpuprofile-summary.ts FILE.cpuprofile… [--top 30] [--callers FUNCTION]
// (bench:history -- --hub-cpu-prof DIR prints this summary of the hub's profile at the end of its run.)
// Summarises a V8 CPU profile (node --cpu-prof): self time by package (node_modules/<name>, node: internals, the
// project's own files) and by function, in % of the busy (non-idle) time; --callers NAME: where the self time of the
// functions named NAME comes from (their call stacks, 8 frames up).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

/** Which package a script URL belongs to: node_modules/<pkg>, node:<module>, src/…, or a V8 pseudo-node. */
function packageOf(url: string, fn: string) {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url.split('/')[0];
  const own = /\/(src|bench|seeds)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

/** The summary of one .cpuprofile file as text lines. */
export function summariseProfile(file: string, opts: { top?: number; callers?: string } = {}): string[] {
  const top = opts.top ?? 30;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Self time per node from the samples and their time deltas (µs).
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  let total = 0;
  let idle = 0;
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const pkg = packageOf(url, functionName);
    const fnKey = `${functionName || '(anonymous)'}  ${pkg}${url ? `:${lineNumber + 1}` : ''}`;
    byFn.set(fnKey, (byFn.get(fnKey) ?? 0) + us);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us);
  }
  const busy = total - idle;
  const out = [`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((busy / total) * 100).toFixed(0)}%)`];
  const show = (title: string, map: Map<string, number>) => {
    out.push('', `${title} (% of busy time)`);
    for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      out.push(`${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
    }
  };
  show('Self time by package', byPkg);
  show('Self time by function', byFn);
  if (opts.callers) {
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const stacks = new Map<string, number>();
    for (const [id, us] of self) {
      if (byId.get(id)!.callFrame.functionName !== opts.callers) continue;
      const frames: string[] = [];
      for (let p = parent.get(id); p !== undefined && frames.length < 8; p = parent.get(p)) {
        const f = byId.get(p)!.callFrame;
        frames.push(`${f.functionName || '(anonymous)'} ${packageOf(f.url, f.functionName)}`);
      }
      const key = frames.join(' < ');
      stacks.set(key, (stacks.get(key) ?? 0) + us);
    }
    show(`Callers of ${opts.callers}`, stacks);
  }
  return out;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' }, callers: { type: 'string' } } });
  if (!positionals.length) {
    console.error('usage: npx node bench/cpuprofile-summary.ts FILE.cpuprofile… [--top 30] [--callers FUNCTION]');
    process.exit(2);
  }
  for (const file of positionals) console.log(summariseProfile(file, { top: Number(values.top), callers: values.callers }).join('\n'), '\n');
}
