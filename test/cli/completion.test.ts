import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'converge-completion-'));
const env = { HOME: dir };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What bash offers for the words typed so far (the last one is being completed). */
async function complete(script: string, typed: string[]): Promise<string[]> {
  const words = typed.map((w) => `'${w}'`).join(' ');
  const { stdout } = await run('bash', [
    '-c',
    `source ${script}; COMP_WORDS=(${words}); COMP_CWORD=${typed.length - 1}; _converge; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ]);
  return stdout.split('\n').filter((l) => l !== '');
}

describe('converge --version and completion', { timeout: 120_000 }, () => {
  it('should print the package version', async () => {
    const version = (
      JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(await runCli(['--version'], env)).toEqual({ code: 0, stderr: '', stdout: `${version}\n` });
  });

  it('should complete commands, subcommands and options in bash from the command tree', async () => {
    const bash = await runCli(['completion', 'bash'], env);
    expect(bash.code).toBe(0);
    const script = join(dir, 'converge.bash');
    writeFileSync(script, bash.stdout);
    expect(await complete(script, ['converge', ''])).toEqual([
      'get',
      'apply',
      'delete',
      'serve',
      'completion',
      'gen',
      'services',
      'service',
      'logs',
      'events',
      'health',
      'inspect',
      'apply-config',
      'config',
      'upgrade',
      'version',
      'rollback',
      'bootstrap',
      'reset',
      'reboot',
      'shutdown',
      'dashboard',
      'cluster',
      'demo',
      'node',
    ]);
    expect(await complete(script, ['converge', 'de'])).toEqual(['delete', 'demo']);
    expect(await complete(script, ['converge', 'gen', ''])).toEqual(['certs']);
    expect(await complete(script, ['converge', 'get', 'items', '--wa'])).toEqual(['--watch']);
    expect(await complete(script, ['converge', '--endpoint', 'x', 'delete', '--no-'])).toEqual(['--no-wait']);
    expect(await complete(script, ['converge', 'gen', 'certs', '--ho'])).toEqual(['--hosts']);
    expect(await complete(script, ['converge', 'serve', '--ver'])).toEqual([]);
  });

  it('should write zsh and fish scripts with every command and option, and refuse another shell', async () => {
    const [zsh, fish, other] = await Promise.all([
      runCli(['completion', 'zsh'], env),
      runCli(['completion', 'fish'], env),
      runCli(['completion', 'tcsh'], env),
    ]);
    expect(zsh.stdout).toMatch(/^#compdef converge\n/);
    expect(zsh.stdout).toContain(`"gen") items=('certs:write a CA`);
    expect(zsh.stdout).toContain(`'--no-wait:return once the teardown started`);
    expect(fish.stdout).toContain(
      `complete -c converge -n '__fish_use_subcommand' -a 'serve' -d 'run the API server`,
    );
    expect(fish.stdout).toContain(
      `complete -c converge -n '__fish_seen_subcommand_from get' -s o -l output -r -d 'output format`,
    );
    expect(other.code).toBe(2);
    expect(other.stderr).toBe('error: completion: unknown shell "tcsh": use bash, zsh, fish\n');
  });
});
