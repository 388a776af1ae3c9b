/**
 * The README's shell examples run as written, in order, against a sandbox bot started the way the
 * README starts it, in a fresh copy of the repository, and print what the README says they print.
 * So the README cannot drift from the code: a renamed option, a changed answer or a new schema
 * version fails here.
 *
 * The convention (also in the README's "Development" section), for everyone adding examples:
 * - Every ```sh block runs, in document order, in one bash session (variables carry over), in a
 *   copy of the repository's files (`git ls-files`, plus new files not ignored) with node_modules
 *   linked in, with a clean environment (PATH and HOME only), and with `localhost:3000` pointing at
 *   the sandbox the test started.
 * - `<!-- readme-test: skip: <reason> -->` on the line before a block: it does not run (it needs
 *   real Slack tokens or a PostgreSQL server, builds for production, or runs the test suite itself).
 *   The reason is required.
 * - `<!-- readme-test: postgres -->` before a block: it needs a PostgreSQL server. Those blocks run
 *   in their own bash session (in order, in another fresh copy) when the tests' server answers
 *   (test/support/postgres.ts), with the README's `localhost:5432/leadrelay` and `-U postgres
 *   leadrelay` pointed at a database of the test's own and its ports 3001/3002 at free ports;
 *   skipped, said plainly, without a server.
 * - `<!-- readme-test: starts the bot -->` before a block: it runs in the background (PORT set to
 *   the test's port) and the examples after it run once GET /healthz answers. At the end it is
 *   stopped with SIGINT, and it must not have logged anything at error level.
 * - Full-line `# ` comments right under a command (no blank line between) are what the command
 *   prints, stdout and stderr together, line by line: `…` stands for any text within a line, a line
 *   `# …` for any number of lines, and a lead reference such as `L-17` for any lead reference. A
 *   comment after a blank line, or at the top of a block, is prose. A command without expected
 *   output must exit 0.
 * - Commands belong in sh blocks: another fenced block holding a `$ ` prompt, a `curl` or an `npx`
 *   command line fails this test (show output as `# ` lines under the command instead).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/botProcess.ts';
import { eventually } from '../support/eventually.ts';
import { describePostgres, usePostgres } from '../support/postgres.ts';
import { urlOfDatabase, withAdminClient } from '../support/postgresServer.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = join(ROOT, 'README.md');
const MARKER = /^<!--\s*readme-test:\s*(.*?)\s*-->$/;

interface FencedBlock {
  lang: string;
  /** 1-based line of the opening fence. */
  line: number;
  body: string;
  marker: string | null;
}

/** The README's fenced blocks, each with the `readme-test` marker on the line before it, if any. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const indent = open[1] ?? '';
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^${indent}\`\`\`\\s*$`).test(lines[j] ?? '')) {
      body.push((lines[j] ?? '').slice(indent.length));
      j += 1;
    }
    let k = i - 1;
    while (k >= 0 && (lines[k] ?? '').trim() === '') k -= 1;
    const marker = MARKER.exec((lines[k] ?? '').trim())?.[1] ?? null;
    blocks.push({ lang: open[2] ?? '', line: i + 1, body: body.join('\n'), marker });
    i = j;
  }
  return blocks;
}

/** A piece of a block to run on its own, and what it must print (null: it must exit 0). */
interface Step {
  block: FencedBlock;
  script: string;
  expected: string[] | null;
}

const isComment = (line: string) => /^#( |$)/.test(line);

/** Splits a block at its expected-output comments: each run of commands, then the output under it. */
export function stepsOf(block: FencedBlock): Step[] {
  const steps: Step[] = [];
  let script: string[] = [];
  let expected: string[] | null = null;
  let previous = '';
  const flush = () => {
    if (script.some((line) => line.trim() !== '' && !isComment(line)) || expected !== null) steps.push({ block, script: script.join('\n'), expected });
    script = [];
    expected = null;
  };
  for (const line of block.body.split('\n')) {
    const outputLine = isComment(line) && (expected !== null || (previous.trim() !== '' && !isComment(previous)));
    if (outputLine) {
      expected ??= [];
      expected.push(line.replace(/^# ?/, ''));
    } else {
      if (expected !== null) flush();
      script.push(line);
    }
    previous = line;
  }
  flush();
  return steps;
}

/** Whether `actual` lines are what `expected` lines describe (see the convention above). */
export function matchesExpected(expected: readonly string[], actual: readonly string[]): boolean {
  const lineRegex = (pattern: string) =>
    new RegExp(`^${pattern.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/L-\d+/g, 'L-\\d+')).join('.*')}$`);
  const match = (e: number, a: number): boolean => {
    if (e === expected.length) return a === actual.length;
    const pattern = expected[e] ?? '';
    if (pattern === '…') {
      for (let skip = a; skip <= actual.length; skip += 1) if (match(e + 1, skip)) return true;
      return false;
    }
    return a < actual.length && lineRegex(pattern).test(actual[a] ?? '') && match(e + 1, a + 1);
  };
  return match(0, 0);
}

/** A fresh copy of the repository's files, as a clone has them, with this checkout's node_modules. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'leadrelay-readme-'));
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const to = join(dir, file);
    mkdirSync(dirname(to), { recursive: true });
    try {
      cpSync(join(ROOT, file), to);
    } catch (error) {
      // A file deleted in the working tree but still in the index is not part of the checkout.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** The script lines that run `step` (number `n`) with its output and exit status kept in `work`. */
function stepScript(step: Step, n: number, work: string, rewrite: (text: string) => string): string {
  return `{\n${rewrite(step.script)}\n} > ${join(work, `${n}.out`)} 2>&1\necho $? > ${join(work, `${n}.status`)}`;
}

/** What each step printed against what the README says it prints (or its exit status when it says nothing). */
function problemsOf(steps: readonly Step[], work: string): string[] {
  const problems: string[] = [];
  steps.forEach((step, n) => {
    const output = readFileSync(join(work, `${n}.out`), 'utf8').replace(/\s+$/, '');
    const status = Number(readFileSync(join(work, `${n}.status`), { encoding: 'utf8', flag: 'a+' }) || 'NaN');
    const actual = output === '' ? [] : output.split('\n').map((line) => line.trimEnd());
    const where = `README.md block at line ${step.block.line}:\n${step.script.trim()}`;
    if (step.expected === null) {
      if (status !== 0) problems.push(`${where}\nexited ${status}:\n${output}`);
    } else if (!matchesExpected(step.expected, actual)) {
      problems.push(`${where}\nprinted:\n${output}\nbut the README says:\n${step.expected.join('\n')}`);
    }
  });
  return problems;
}

/** The processes whose working directory is `dir` or below it. */
function processesIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        return cwd === dir || cwd.startsWith(`${dir}/`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const markdown = readFileSync(README, 'utf8');
const blocks = fencedBlocks(markdown);

describe('the README test convention', () => {
  const block = (body: string): FencedBlock => ({ lang: 'sh', line: 1, body, marker: null });

  it('reads the # lines right under a command as its output, and comments after a blank line or at the top as prose', () => {
    const steps = stepsOf(block('# prose at the top\nexport X=1\nnpx leadrelay check\n# line one\n#\n# line three\n\n# more prose\necho done'));
    expect(steps.map((step) => [step.script, step.expected])).toEqual([
      ['# prose at the top\nexport X=1\nnpx leadrelay check', ['line one', '', 'line three']],
      ['\n# more prose\necho done', null],
    ]);
  });

  it('matches … within a line, a line of … over any lines, and any lead reference for L-<n>', () => {
    expect(matchesExpected(['{"lead":"L-17","status":"accepted"}'], ['{"lead":"L-2","status":"accepted"}'])).toBe(true);
    expect(matchesExpected(['{"lead":"L-17","status":"accepted"}'], ['{"lead":"L-2","status":"duplicate"}'])).toBe(false);
    expect(matchesExpected(['backed up …: … leads, schema version 3'], ['backed up a.db: 2 leads, schema version 3'])).toBe(true);
    expect(matchesExpected(['backed up …: … leads, schema version 3'], ['backed up a.db: 2 leads, schema version 1'])).toBe(false);
    expect(matchesExpected(['first', '…', 'last'], ['first', 'x', 'y', 'last'])).toBe(true);
    expect(matchesExpected(['first', '…', 'last'], ['first', 'last'])).toBe(true);
    expect(matchesExpected(['first', 'last'], ['first', 'x', 'last'])).toBe(false);
    expect(matchesExpected(['a (b) [c] $d'], ['a (b) [c] $d'])).toBe(true);
  });

  it('finds fenced blocks with the marker on the line before them', () => {
    const found = fencedBlocks('text\n\n<!-- readme-test: skip: needs Slack -->\n```sh\nnpm start\n```\n\n```json\n{}\n```\n');
    expect(found).toEqual([
      { lang: 'sh', line: 4, body: 'npm start', marker: 'skip: needs Slack' },
      { lang: 'json', line: 8, body: '{}', marker: null },
    ]);
  });
});

describe('the README', () => {
  it('puts every command in an sh block (other blocks hold no $ prompt, curl or npx line)', () => {
    const misplaced = blocks
      .filter((block) => block.lang !== 'sh')
      .flatMap((block) => block.body.split('\n').filter((line) => /^\s*(\$ |curl |npx )/.test(line)).map((line) => `line ${block.line} (${block.lang || 'no language'}): ${line.trim()}`));
    expect(misplaced).toEqual([]);
  });

  it('gives a reason for every block it does not run', () => {
    const bad = blocks.filter((block) => block.marker !== null && block.marker !== 'starts the bot' && block.marker !== 'postgres' && !/^skip: \S/.test(block.marker)).map((block) => `line ${block.line}: ${block.marker}`);
    expect(bad).toEqual([]);
  });

  it("runs the compiled bot, wherever it says to, with the Node flags of npm start (package.json's start script)", () => {
    const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const flags = start.split(/\s+/).filter((word) => word.startsWith('--'));
    expect(flags.length).toBeGreaterThan(0);
    const runs = markdown.split('\n').filter((line) => /node (--\S+ )*dist\/src\/main\.js/.test(line));
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.filter((line) => !line.includes(`node ${flags.join(' ')} dist/src/main.js`))).toEqual([]);
  });

  /**
   * Waits, without a clock, until the bot started by the README's block logs "leadrelay is running"
   * to bot.log (exit 0) or its subshell writes bot.exited (exit 1): the directory is watched and
   * read again at each change. The session's own timeout bounds a bot that neither starts nor ends.
   */
  const WAIT_READY = `const { existsSync, readFileSync, watch } = require('node:fs');
const { join } = require('node:path');
const dir = process.argv[2];
const check = () => {
  let log = '';
  try { log = readFileSync(join(dir, 'bot.log'), 'utf8'); } catch {}
  if (log.includes('leadrelay is running')) process.exit(0);
  if (existsSync(join(dir, 'bot.exited'))) process.exit(1);
};
watch(dir, check);
check();
`;

  describe('shell examples, run in order against a sandbox started as the README starts it', () => {
    const dir = freshCopy();
    const work = join(dir, '.readme-test');
    const pidFile = join(work, 'bot.pid');
    const botPid = () => {
      const text = readFileSync(pidFile, { encoding: 'utf8', flag: 'a+' }).trim();
      return text === '' ? null : Number(text);
    };
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    afterAll(() => {
      const pid = botPid();
      // The bot's process group was started by this test (set -m): end it if it is still there.
      if (pid !== null && alive(pid)) process.kill(-pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    it('run as shown and print what the README says', async () => {
      const port = await freePort();
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir, LANG: 'C.UTF-8' };
      const withPort = (text: string) => text.replace(/localhost:3000\b/g, `localhost:${port}`);
      const sh = blocks.filter((block) => block.lang === 'sh' && !(block.marker ?? '').startsWith('skip:') && block.marker !== 'postgres');
      expect(sh.filter((block) => block.marker === 'starts the bot')).toHaveLength(1);
      mkdirSync(work);

      // One bash session for every block, as one terminal would run them; the bot in the background.
      const steps: Step[] = [];
      const script = ['set +e'];
      for (const block of sh) {
        if (block.marker === 'starts the bot') {
          writeFileSync(join(work, 'bot.sh'), withPort(block.body));
          writeFileSync(join(work, 'wait-ready.cjs'), WAIT_READY);
          // The bot's block runs in a subshell that writes bot.exited when the bot ends (its process
          // group, started by set -m, is what the test stops); the next blocks wait until the bot
          // logs that it is running (it listens by then), or fail at once if it ended first.
          script.push(
            `set -m; (PORT=${port} bash ${join(work, 'bot.sh')} > ${join(work, 'bot.log')} 2>&1; echo $? > ${join(work, 'bot.exited')}) < /dev/null > /dev/null 2>&1 & echo $! > ${pidFile}; set +m`,
            `node ${join(work, 'wait-ready.cjs')} ${work} || echo 'the bot did not start' > ${join(work, 'bot.failed')}`,
          );
          continue;
        }
        for (const step of stepsOf(block)) {
          const n = steps.push(step) - 1;
          script.push(stepScript(step, n, work, withPort));
        }
      }
      writeFileSync(join(work, 'session.sh'), `${script.join('\n')}\n`);
      const ran = spawnSync('bash', [join(work, 'session.sh')], { cwd: dir, env, encoding: 'utf8', timeout: 200_000 });
      if (ran.error) throw ran.error;

      const pid = botPid();
      expect(pid, 'no block started the bot').not.toBeNull();
      if (pid !== null && alive(pid)) {
        process.kill(-pid, 'SIGINT');
        for (let waited = 0; alive(pid) && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const botLog = readFileSync(join(work, 'bot.log'), 'utf8');
      expect(readFileSync(join(work, 'bot.failed'), { encoding: 'utf8', flag: 'a+' }), botLog).toBe('');

      const problems = problemsOf(steps, work);
      expect(problems).toEqual([]);
      const errors = botLog.split('\n').filter((line) => /^\{.*"level":(5|6)\d/.test(line));
      expect(errors, 'error-level log lines of the sandbox').toEqual([]);
    }, 240_000);
  });

  describePostgres('the PostgreSQL examples ("Running several instances"), run in order on a PostgreSQL server', () => {
    const postgres = usePostgres();
    const dir = freshCopy();
    const work = join(dir, '.readme-test');
    const database = `lrt_readme_${process.pid}_${Date.now()}`;
    afterAll(async () => {
      // The blocks stop what they start; a failed run may leave an instance: end any still there.
      for (const pid of processesIn(dir)) process.kill(pid, 'SIGKILL');
      if (postgres.serverUrl !== null) await withAdminClient(postgres.serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
      rmSync(dir, { recursive: true, force: true });
    });

    it('run as shown and print what the README says', async () => {
      const server = new URL(postgres.serverUrl as string);
      const [first, second] = [await freePort(), await freePort()];
      const target = new URL(urlOfDatabase(server.href, database));
      const rewrite = (text: string) =>
        text
          .replace(/postgres:\/\/postgres@localhost:5432\/leadrelay\b/g, target.href)
          .replace(/-h localhost -U postgres leadrelay\b/g, `-h ${server.hostname} -p ${server.port || '5432'} -U ${decodeURIComponent(server.username) || 'postgres'} ${database}`)
          .replace(/localhost:3001\b/g, `localhost:${first}`)
          .replace(/localhost:3002\b/g, `localhost:${second}`)
          .replace(/PORT=3001\b/g, `PORT=${first}`)
          .replace(/PORT=3002\b/g, `PORT=${second}`);
      const blocksToRun = blocks.filter((block) => block.lang === 'sh' && block.marker === 'postgres');
      expect(blocksToRun.length).toBeGreaterThan(0);
      mkdirSync(work);
      const steps = blocksToRun.flatMap((block) => stepsOf(block));
      const script = ['set +e', ...steps.map((step, n) => stepScript(step, n, work, rewrite))];
      writeFileSync(join(work, 'session.sh'), `${script.join('\n')}\n`);
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir, LANG: 'C.UTF-8' };
      const ran = spawnSync('bash', [join(work, 'session.sh')], { cwd: dir, env, encoding: 'utf8', timeout: 200_000 });
      if (ran.error) throw ran.error;
      const logs = ['instance-1.log', 'instance-2.log'].map((name) => readFileSync(join(dir, name), { encoding: 'utf8', flag: 'a+' }));
      expect(problemsOf(steps, work), logs.join('\n----\n')).toEqual([]);
      // `kill %1 %2` stopped both instances (no process is left running in the copy).
      await eventually(() => processesIn(dir).length === 0, 20_000);
      for (const log of logs) expect(log.split('\n').filter((line) => /^\{.*"level":(5|6)\d/.test(line)), 'error-level log lines of an instance').toEqual([]);
    }, 240_000);
  });
});
