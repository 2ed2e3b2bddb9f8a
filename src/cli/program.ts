import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { Output } from './commands/output-sink.js';
import type { ConnectionFlags } from './config.js';
import { describeError, exitCodeOf, exitCodes } from './exit-codes.js';
import { registerNodeCommands } from './node/register-node-commands.js';
import type { OutputFormat } from './output.js';
import { packageVersion } from './package-version.js';
import type { Session, SessionOptions } from './session.js';

// Commands load their modules when they run, so `--help` and small commands start fast.

/** Where the CLI writes. */
export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
}

const exitCodeHelp = `
Exit codes:
  0  success
  1  unexpected failure
  2  bad flags or arguments, missing or unreadable configuration
  3  resource or type not found
  4  conflict (exists, version moved, another owner, finalizers pending)
  5  invalid input (manifest, spec, field)
  6  certificate refused, or the role does not allow the call
  7  endpoint unreachable

Connection: --endpoint/--ca/--cert/--key, else CONVERGE_ENDPOINT/CONVERGE_CA/CONVERGE_CERT/CONVERGE_KEY,
else the config file (--config, CONVERGE_CONFIG, or <user config dir>/converge/config.yaml).`;

async function withSession<T>(
  flags: ConnectionFlags,
  fn: (session: Session) => Promise<T>,
  options: SessionOptions = {},
): Promise<T> {
  const { openSession } = await import('./session.js');
  const session = openSession(flags, options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

function connectionFlags(command: Command): ConnectionFlags {
  const all = command.optsWithGlobals<ConnectionFlags>();
  const flags: ConnectionFlags = {};
  for (const key of ['endpoint', 'ca', 'cert', 'key', 'config'] as const) {
    if (all[key] !== undefined) flags[key] = all[key];
  }
  return flags;
}

/** Parses `-o`: `table`, `wide`, `yaml`, `json` or `jsonpath=<template>`. */
function outputFormat(value: string): OutputFormat {
  if (value === 'table' || value === 'wide' || value === 'yaml' || value === 'json') return value;
  const match = /^jsonpath=(.*)$/s.exec(value);
  if (match === null) throw new InvalidArgumentError('use table, wide, yaml, json or jsonpath=<template>.');
  return { jsonpath: match[1]! };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Builds the `converge` command line. */
function buildProgram(io: CliIo): Command {
  const program = new Command('converge')
    .description('Look at and change the resources of a converge API server.')
    .option('--endpoint <url>', 'API endpoint, e.g. https://127.0.0.1:7443')
    .option('--ca <file>', 'CA certificate that signed the server (PEM)')
    .option('--cert <file>', 'client certificate (PEM); its role decides what you may do')
    .option('--key <file>', 'client key (PEM)')
    .option('--config <file>', 'config file with endpoint, ca, cert and key')
    .version(packageVersion(), '--version', 'print the version of converge')
    .addHelpText('after', exitCodeHelp)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  program
    .command('get')
    .description('print resources of a type (or alias), or follow their changes with -w')
    .argument('<type>', 'resource type or alias (see `converge get rd`)')
    .argument('[id]', 'one resource')
    .option('-n, --namespace <namespace>', "namespace (default: the type's default namespace)")
    .option('-l, --selector <selector>', 'label selector: k=v, k!=v, k, !k, "k in (a,b)", "k notin (a,b)"')
    .option(
      '-o, --output <format>',
      'output format: table, wide, yaml, json or jsonpath=<template> (as kubectl)',
      outputFormat,
      'table' as OutputFormat,
    )
    .option('-w, --watch', 'print changes as they happen (+ created, - destroyed, blank updated)')
    .option(
      '--nodes <list>',
      'nodes of the config file (or addresses), comma-separated; lines start with the node',
    )
    .action(
      async (
        type: string,
        id: string | undefined,
        options: {
          namespace?: string;
          selector?: string;
          output: OutputFormat;
          watch?: boolean;
          nodes?: string;
        },
        command: Command,
      ) => {
        if (options.nodes !== undefined) {
          const { getOnNodes } = await import('./node/get-on-nodes.js');
          const { nodes, ...getOptions } = options;
          await getOnNodes(
            connectionFlags(command),
            nodes,
            { type, id, options: getOptions },
            io.stdout,
            io.stderr,
          );
          return;
        }
        const { getCommand } = await import('./commands/get.js');
        await withSession(
          connectionFlags(command),
          (session) => getCommand(session, type, id, options, io.stdout, io.stderr),
          options.watch ? { reportDrops: true } : {},
        );
      },
    );

  program
    .command('apply')
    .description('create or update the resources of manifest files, all or none')
    .requiredOption(
      '-f, --file <file>',
      'manifest file (multi-document YAML; - for stdin); repeatable',
      collect,
    )
    .option('--dry-run', 'print what would change, with a diff, and write nothing')
    .action(async (options: { file: string[]; dryRun?: boolean }, command: Command) => {
      const { applyCommand } = await import('./commands/apply.js');
      await withSession(connectionFlags(command), (session) =>
        applyCommand(
          session,
          { files: options.file, ...(options.dryRun ? { dryRun: true } : {}) },
          io.stdout,
        ),
      );
    });

  program
    .command('delete')
    .description('tear down and destroy resources, by type and ids or from manifest files')
    .argument('[type]', 'resource type or alias')
    .argument('[ids...]', 'ids of the resources')
    .option('-n, --namespace <namespace>', "namespace (default: the type's default namespace)")
    .option('-f, --file <file>', 'manifest file naming the resources; repeatable', collect)
    .option('--wait', 'wait until each resource is destroyed, its finalizers gone (the default)')
    .option('--no-wait', 'return once the teardown started (also --wait=false)')
    .option('--timeout <seconds>', 'how long to wait', '60')
    .option('--ignore-not-found', 'a missing resource is not an error')
    .action(
      async (
        type: string | undefined,
        ids: string[],
        options: {
          namespace?: string;
          file?: string[];
          wait: boolean;
          timeout: string;
          ignoreNotFound?: boolean;
        },
        command: Command,
      ) => {
        const timeout = Number(options.timeout);
        if (!Number.isFinite(timeout) || timeout <= 0) {
          throw new CommanderError(
            exitCodes.usage,
            'converge.invalidArgument',
            `error: --timeout must be a positive number of seconds`,
          );
        }
        const { deleteCommand } = await import('./commands/delete.js');
        await withSession(connectionFlags(command), (session) =>
          deleteCommand(
            session,
            type,
            ids,
            {
              timeout,
              ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
              ...(options.file !== undefined ? { files: options.file } : {}),
              wait: options.wait,
              ...(options.ignoreNotFound ? { ignoreNotFound: true } : {}),
            },
            io.stdout,
            io.stderr,
          ),
        );
      },
    );

  program
    .command('serve')
    .description('run the API server over the in-memory store or etcd')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:7443')
    .option('--certs <dir>', 'directory with ca.crt, server.crt and server.key (see `gen certs`)', '.')
    .option('--etcd <endpoints>', 'etcd client URLs, comma-separated (default: an in-memory store)')
    .option('--etcd-prefix <prefix>', 'key prefix of the store in etcd', 'converge')
    .option('--types <module>', 'module exporting resource definitions (.ts or .js); repeatable', collect)
    .option(
      '--log-level <level>',
      'log level on stderr (fatal, error, warn, info, debug, trace, silent)',
      'info',
    )
    .addHelpText(
      'after',
      '\nTypes can also be added while it runs: apply a ResourceDefinition (namespace meta) whose\n' +
        'spec.schema is the JSON Schema of the spec.',
    )
    .action(
      async (options: {
        listen: string;
        certs: string;
        etcd?: string;
        etcdPrefix: string;
        types?: string[];
        logLevel: string;
      }) => {
        const { serveCommand } = await import('./commands/serve.js');
        await serveCommand(
          {
            listen: options.listen,
            certs: options.certs,
            etcdPrefix: options.etcdPrefix,
            types: options.types ?? [],
            logLevel: options.logLevel,
            ...(options.etcd !== undefined ? { etcd: options.etcd } : {}),
          },
          io.stdout,
        );
      },
    );

  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText(
      'after',
      '\nbash: source <(converge completion bash)\nzsh:  source <(converge completion zsh)\nfish: converge completion fish | source',
    )
    .action(async (shell: string) => {
      const { completionScript } = await import('./completion.js');
      io.stdout.write(completionScript(program, shell));
    });

  const gen = program.command('gen').description('generate files');
  gen
    .command('certs')
    .description('write a CA, a server certificate and client certificates per role (PEM), and a config file')
    .option('--out <dir>', 'directory to write to', '.')
    .option('--hosts <list>', 'server names and addresses, comma-separated', 'localhost,127.0.0.1,::1')
    .option('--roles <list>', 'client roles, comma-separated', 'admin,operator,reader')
    .option('--days <n>', 'validity in days', '365')
    .option('--force', 'overwrite existing files')
    .addHelpText(
      'after',
      '\nThe global --endpoint (default https://127.0.0.1:7443) is written into config.yaml.',
    )
    .action(
      async (
        options: { out: string; hosts: string; roles: string; days: string; force?: boolean },
        command: Command,
      ) => {
        const endpoint = connectionFlags(command).endpoint ?? 'https://127.0.0.1:7443';
        const { genCertsCommand } = await import('./commands/gen-certs.js');
        await genCertsCommand({ ...options, endpoint }, io.stdout);
      },
    );

  registerNodeCommands(program, { ...io, connectionFlags });
  return program;
}

/** kubectl's `--wait=false` and `--wait=true` spelled as commander's boolean flags. */
function normalizeArgs(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((arg, i) => {
    if (end >= 0 && i > end) return arg;
    if (arg === '--wait=false') return '--no-wait';
    if (arg === '--wait=true') return '--wait';
    if (arg === '--graceful=false') return '--no-graceful';
    return arg;
  });
}

/** Runs the CLI on `argv` (without `node` and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(normalizeArgs(argv), { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return exitCodes.ok;
      }
      // Commander already printed its own usage errors.
      if (error.code === 'converge.invalidArgument') io.stderr.write(`${error.message}\n`);
      return exitCodes.usage;
    }
    io.stderr.write(`error: ${describeError(error)}\n`);
    return exitCodeOf(error);
  }
}
