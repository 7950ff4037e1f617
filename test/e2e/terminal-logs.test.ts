import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { mainJs, repoRoot, startCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

/**
 * What `npm start` shows a newcomer: the sandbox with examples/quickstart.yaml, run by the built CLI inside a
 * real pseudo-terminal (util-linux `script`), logs human-readable lines there and JSON anywhere else — and
 * neither shows the quickstart Secret's values.
 */

const QUICKSTART = 'examples/quickstart.yaml';
const LEVEL = '(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)';
const TEXT_LINE = new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ${LEVEL} `);

/** The quickstart Secret's values, as written and as the API server stores them (base64). */
function quickstartSecretValues(): string[] {
  const docs = parseAllDocuments(readFileSync(join(repoRoot, QUICKSTART), 'utf8')).map((d) => d.toJS());
  const values = docs
    .filter((d) => d?.kind === 'Secret')
    .flatMap((d) => [...Object.values(d.stringData ?? {}), ...Object.values(d.data ?? {})] as string[]);
  expect(values.length, 'the quickstart has a Secret with values').toBeGreaterThan(0);
  return values.flatMap((v) => [v, Buffer.from(v).toString('base64')]);
}

/** how many of `values` occur in `out` (a count, so a failing test never prints a secret) */
const leaks = (out: string, values: string[]) => values.filter((v) => out.includes(v)).length;

function scriptPath(): string {
  try {
    const version = execFileSync('script', ['--version'], { encoding: 'utf8' });
    if (version.includes('util-linux')) return 'script';
  } catch {}
  throw new Error(
    'this test needs util-linux `script` (apt-get install bsdutils) to give the CLI a pseudo-terminal',
  );
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface TerminalRun {
  /** everything the terminal showed, lines without their \r */
  lines(): string[];
  /** types Ctrl-C into the terminal and resolves with the exit code */
  interrupt(timeoutMs?: number): Promise<number | null>;
  kill(): void;
}

/** `node dist/main.js <args>` with stdout and stderr on a fresh pseudo-terminal, as in a user's shell. */
function runInTerminal(args: string[], env: NodeJS.ProcessEnv): TerminalRun {
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run \`npm run build\` (npm test does it)`);
  const command = ['exec', quote(process.execPath), quote(mainJs), ...args.map(quote)].join(' ');
  // -e: exit with the command's code; -f: flush at once; -q: no banner; the session record goes to /dev/null
  const child: ChildProcess = spawn(scriptPath(), ['-qfec', command, '/dev/null'], {
    cwd: repoRoot,
    env: { ...env, SHELL: '/bin/sh', TERM: 'xterm' },
    // stdin stays open: it is the keyboard (EOF would end the session)
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (c) => {
      code = c;
      r(c);
    }),
  );
  return {
    lines: () => out.split('\n').map((l) => l.replace(/\r$/, '')),
    async interrupt(timeoutMs = 25_000) {
      child.stdin!.write('\x03');
      await waitFor(
        'the CLI to exit after Ctrl-C',
        () => code,
        (c) => c !== undefined,
        { timeoutMs },
      );
      return exited;
    },
    kill() {
      if (code === undefined) child.kill('SIGKILL');
    },
  };
}

const envWithout = (...names: string[]) => {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
};

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function sandboxArgs(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'kubemirror-tty-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return ['sandbox', '--port', '0', '--kubeconfig', join(dir, 'kubeconfig'), '--seed', QUICKSTART];
}

/** the reconcile of the quickstart Secret, in either format: a wrong format fails at once, not by a timeout */
const reconciled = (l: string) => l.includes('source reconciled') && l.includes('platform/db-credentials');

/** the log lines, in either format (the sandbox's own instructions are neither) */
const logLines = (lines: string[]) => lines.filter((l) => TEXT_LINE.test(l) || l.startsWith('{'));

describe('logs of `kubemirror sandbox` (npm start)', () => {
  it('are human-readable lines on a terminal, without the Secret values', async () => {
    const secrets = quickstartSecretValues();
    const term = runInTerminal(sandboxArgs(), {
      ...envWithout('LOG_FORMAT', 'KUBEMIRROR_LOG_FORMAT'),
      LOG_LEVEL: 'debug',
    });
    cleanups.push(() => term.kill());
    await waitFor(
      'the controller to log the reconcile of the quickstart Secret',
      () => term.lines(),
      (ls) => ls.some(reconciled),
    );
    const lines = term.lines();
    const logged = logLines(lines);
    expect(logged.length).toBeGreaterThan(3);
    expect(logged.filter((l) => l.startsWith('{')).length, 'JSON lines on the terminal').toBe(0);
    expect(lines.find(reconciled)).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}source reconciled {2}(\S+=\S+ )*key=platform\/db-credentials( \S+=\S+)*$/,
    );

    // Ctrl-C: the last lines are written before the exit (synchronous writes), and nothing leaked anywhere
    expect(await term.interrupt()).toBe(0);
    expect(term.lines().some((l) => / INFO {2}shutting down/.test(l))).toBe(true);
    expect(leaks(term.lines().join('\n'), secrets), 'quickstart Secret values on the terminal').toBe(0);
  }, 60_000);

  it('are JSON on a terminal when LOG_FORMAT=json (as in the image)', async () => {
    const term = runInTerminal(sandboxArgs(), { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info' });
    cleanups.push(() => term.kill());
    const lines = await waitFor(
      'the controller to log the reconcile of the quickstart Secret',
      () => term.lines(),
      (ls) => ls.some(reconciled),
    );
    expect(JSON.parse(lines.find(reconciled)!)).toMatchObject({
      level: 'info',
      msg: 'source reconciled',
      key: 'platform/db-credentials',
    });
    expect(lines.filter((l) => TEXT_LINE.test(l)).length, 'text log lines').toBe(0);
    for (const l of logLines(lines)) expect(JSON.parse(l)).toMatchObject({ level: expect.any(String) });
    expect(await term.interrupt()).toBe(0);
  }, 60_000);

  it('are JSON when stdout is not a terminal and LOG_FORMAT is unset, without the Secret values', async () => {
    const secrets = quickstartSecretValues();
    const cli = startCli(sandboxArgs(), {
      env: { LOG_FORMAT: '', KUBEMIRROR_LOG_FORMAT: '', LOG_LEVEL: 'debug' },
    });
    cleanups.push(() => void cli.stop('SIGKILL'));
    const line = await waitFor(
      'the controller to log the reconcile of the quickstart Secret',
      () => cli.lines.find(reconciled),
      (l) => l !== undefined,
    );
    expect(JSON.parse(line!)).toMatchObject({ level: 'info', key: 'platform/db-credentials' });
    expect(logLines(cli.lines).filter((l) => TEXT_LINE.test(l)).length, 'text log lines').toBe(0);
    expect(
      leaks(cli.lines.join('\n') + cli.stderr(), secrets),
      'quickstart Secret values in the output',
    ).toBe(0);
    expect((await cli.stop()).code).toBe(0);
  }, 60_000);

  it('refuses an unknown LOG_FORMAT before starting anything, with the other problems', async () => {
    const cli = startCli(sandboxArgs(), { env: { LOG_FORMAT: 'pretty', LOG_LEVEL: 'loud' } });
    cleanups.push(() => void cli.stop('SIGKILL'));
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr()).toContain('env LOG_FORMAT: "pretty" is not a log format (one of text, json)');
    expect(cli.stderr()).toContain('env LOG_LEVEL: "loud" is not a log level');
    expect(cli.lines.join('\n')).not.toContain('listening');
  });
});
