/**
 * Summarizes a V8 CPU profile (`--cpu-prof`, e.g. from BENCH_PROFILE_DIR) as text: where the samples
 * fall by module (our src/ files, each node_modules package, Node internals, native code and GC)
 * and the functions with the most self time, then inclusive time of the functions named with --fn.
 *
 *   node --import tsx bench/profileSummary.ts <file.cpuprofile> [--top 30] [--fn name …]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code lives: `src/app/routeLead.ts`, `node_modules/@slack/web-api`, `node:internal`, `(native)`. */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `node_modules/${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  const src = url.search(/\/(src|bench)\//);
  return src >= 0 ? url.slice(src + 1) : url;
}

export function summarizeProfile(profile: Profile, options: { top?: number; functions?: string[] } = {}) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const busy = total - idle;

  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    if (frame.functionName === '(idle)') continue;
    const module = moduleOf(frame.url, frame.functionName);
    byModule.set(module, (byModule.get(module) ?? 0) + us);
    const name = `${frame.functionName || '(anonymous)'} ${module}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  }
  // Inclusive time of named functions: each sample counted once per function on its stack.
  const inclusive = new Map<string, number>();
  for (const wanted of options.functions ?? []) inclusive.set(wanted, 0);
  if (inclusive.size > 0) {
    for (const [id, us] of selfUs) {
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const name = (byId.get(at) as ProfileNode).callFrame.functionName;
        if (inclusive.has(name) && !seen.has(name)) {
          seen.add(name);
          inclusive.set(name, (inclusive.get(name) ?? 0) + us);
        }
      }
    }
  }
  const pct = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${Math.round(us / 1000)} ms`.padStart(9);
  const lines = [`profile: ${ms(total)} sampled, ${ms(busy)} busy (${ms(idle)} idle)`, '', 'self time by module:'];
  for (const [module, us] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`${pct(us)} ${ms(us)}  ${module}`);
  lines.push('', 'top functions by self time:');
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, options.top ?? 30)) lines.push(`${pct(us)} ${ms(us)}  ${name}`);
  if (inclusive.size > 0) {
    lines.push('', 'inclusive time:');
    for (const [name, us] of inclusive) lines.push(`${pct(us)} ${ms(us)}  ${name}`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const file = args[0];
  if (!file) throw new Error('usage: bench/profileSummary.ts <file.cpuprofile> [--top N] [--fn name …]');
  const top = args.includes('--top') ? Number(args[args.indexOf('--top') + 1]) : 30;
  const functions = args.flatMap((arg, i) => (args[i - 1] === '--fn' ? [arg] : []));
  console.log(summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, { top, functions }));
}
