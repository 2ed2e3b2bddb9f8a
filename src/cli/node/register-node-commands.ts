/**
 * Registers the node verbs on the `converge` program: talosctl's verbs against nodes named with
 * `-n/--nodes` (or every node of the client config), `node run`, `cluster create|destroy` and
 * `dashboard`.
 */
import { type Command, InvalidArgumentError } from 'commander';
import type { Output } from '../commands/output-sink.js';
import type { ConnectionFlags } from '../config.js';
import type { ClusterCreateFlags } from './cluster-commands.js';
import type { DemoFlags } from './demo-command.js';
import type { NodeClient } from './node-client.js';
import type { NodeRunFlags } from './node-run.js';

/** Where the verbs write, and how they read the connection flags. */
export interface NodeCommandIo {
  readonly stdout: Output;
  readonly stderr: Output;
  connectionFlags(command: Command): ConnectionFlags;
}

const nodesHelp = 'nodes to act on, comma-separated: names from the config file or addresses';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d{1,9}$/.test(value) || n < 0) throw new InvalidArgumentError('expected a non-negative integer.');
  return n;
}

async function withNodes(
  io: NodeCommandIo,
  command: Command,
  nodes: string | undefined,
  fn: (clients: NodeClient[]) => Promise<void>,
): Promise<void> {
  const { resolveConnection } = await import('../config.js');
  const { createNodeClient, resolveTargets } = await import('./node-client.js');
  const connection = resolveConnection(io.connectionFlags(command));
  const clients = resolveTargets(connection, nodes).map((t) =>
    createNodeClient(t.name, t.endpoint, connection.tls),
  );
  try {
    await fn(clients);
  } finally {
    for (const c of clients) c.close();
  }
}

/** Adds the node verbs to `program`. */
export function registerNodeCommands(program: Command, io: NodeCommandIo): void {
  const { stdout, stderr } = io;
  const cmds = () => import('./node-commands.js');

  program
    .command('services')
    .description('list the services of the nodes')
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (options: { nodes?: string }, command: Command) => {
      const { servicesCommand } = await cmds();
      await withNodes(io, command, options.nodes, (c) => servicesCommand(c, stdout, stderr));
    });

  program
    .command('service')
    .description('show, start, stop or restart one service (start/stop/restart where the service allows it)')
    .argument('<id>', 'service id')
    .argument('[action]', 'status, start, stop or restart', 'status')
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (id: string, action: string, options: { nodes?: string }, command: Command) => {
      const { serviceCommand } = await cmds();
      await withNodes(io, command, options.nodes, (c) => serviceCommand(c, id, action, stdout, stderr));
    });

  program
    .command('logs')
    .description("print a service's output; -f follows it")
    .argument('<service>', 'service id')
    .option('-f, --follow', 'keep printing new lines')
    .option('--tail <n>', 'only the last n lines', positiveInt)
    .option('-n, --nodes <list>', nodesHelp)
    .action(
      async (
        service: string,
        options: { follow?: boolean; tail?: number; nodes?: string },
        command: Command,
      ) => {
        const { logsCommand } = await cmds();
        await withNodes(io, command, options.nodes, (c) => logsCommand(c, service, options, stdout, stderr));
      },
    );

  program
    .command('events')
    .description("print the nodes' events (sequences, phases, tasks, services, config); -f follows them")
    .option('--tail <n>', 'how many recent events to start with', positiveInt, 100)
    .option('-f, --follow', 'keep printing new events')
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (options: { tail: number; follow?: boolean; nodes?: string }, command: Command) => {
      const { eventsCommand } = await cmds();
      await withNodes(io, command, options.nodes, (c) => eventsCommand(c, options, stdout, stderr));
    });

  program
    .command('health')
    .description('run the health checks of every node in order, waiting for each')
    .option('--wait-timeout <seconds>', 'give up on a check after this long', positiveInt, 60)
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (options: { waitTimeout: number; nodes?: string }, command: Command) => {
      const { healthCommand } = await cmds();
      await withNodes(io, command, options.nodes, (c) =>
        healthCommand(c, { timeoutSeconds: options.waitTimeout }, stdout, stderr),
      );
    });

  program
    .command('inspect')
    .description('inspect a node')
    .command('dependencies')
    .description('the controllers and the resource types they read and write')
    .option('-o, --output <format>', 'json, dot or svg', 'dot')
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (options: { output: string; nodes?: string }, command: Command) => {
      const { dependenciesCommand } = await cmds();
      await withNodes(io, command, options.nodes, (c) =>
        dependenciesCommand(c, options.output, stdout, stderr),
      );
    });

  program
    .command('apply-config')
    .description('apply a machine config to the nodes; --dry-run prints what would change')
    .requiredOption('-f, --file <file>', 'machine config (YAML; - for stdin)')
    .option('-m, --mode <mode>', 'auto, no-reboot, reboot, staged or try', 'auto')
    .option('--try-timeout <seconds>', 'mode try: when the previous config comes back', positiveInt)
    .option('--dry-run', 'print the changes and apply nothing')
    .option('-n, --nodes <list>', nodesHelp)
    .action(
      async (
        options: { file: string; mode: string; dryRun?: boolean; tryTimeout?: number; nodes?: string },
        command: Command,
      ) => {
        const { applyConfigCommand } = await cmds();
        await withNodes(io, command, options.nodes, (c) => applyConfigCommand(c, options, stdout, stderr));
      },
    );

  const config = program.command('config').description("the nodes' machine config history");
  config
    .command('history')
    .description('every config applied to the nodes, with its version, time, mode and author')
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (options: { nodes?: string }, command: Command) => {
      const { configHistoryCommand } = await cmds();
      await withNodes(io, command, options.nodes, (c) => configHistoryCommand(c, stdout, stderr));
    });
  config
    .command('diff')
    .description('a unified diff between two config versions of the history')
    .argument('<from>', 'version', positiveInt)
    .argument('<to>', 'version', positiveInt)
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (from: number, to: number, options: { nodes?: string }, command: Command) => {
      const { configDiffCommand } = await cmds();
      await withNodes(io, command, options.nodes, (c) => configDiffCommand(c, from, to, stdout, stderr));
    });

  program
    .command('upgrade')
    .description(
      'upgrade the nodes one after the other to an image version (A/B slots; a failed boot reverts)',
    )
    .requiredOption('--image <version>', 'the version to install, e.g. v1.1.0')
    .option('--stage', 'install at the next reboot')
    .option('--no-reboot', 'install now and leave the reboot for later')
    .option('--force', 'skip the upgrade guard')
    .option('--no-wait', 'return once the node reboots, not once it booted the new version')
    .option('--fails-to-boot', 'the image fails to boot (to watch a node revert by itself)')
    .option('-n, --nodes <list>', nodesHelp)
    .action(
      async (
        options: {
          image: string;
          stage?: boolean;
          reboot: boolean;
          force?: boolean;
          wait: boolean;
          failsToBoot?: boolean;
          nodes?: string;
        },
        command: Command,
      ) => {
        const { upgradeCommand } = await import('./lifecycle-commands.js');
        await withNodes(io, command, options.nodes, (c) =>
          upgradeCommand(
            c,
            {
              image: options.image,
              wait: options.wait,
              ...(options.stage ? { stage: true } : {}),
              ...(options.reboot === false ? { noReboot: true } : {}),
              ...(options.force ? { force: true } : {}),
              ...(options.failsToBoot ? { failsToBoot: true } : {}),
            },
            stdout,
          ),
        );
      },
    );

  program
    .command('version')
    .description('print the version of converge and the image version each node runs')
    .option('--client', 'only the client, no node asked')
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (options: { client?: boolean; nodes?: string }, command: Command) => {
      const { versionCommand } = await import('./version-command.js');
      if (options.client) await versionCommand([], stdout, stderr);
      else await withNodes(io, command, options.nodes, (c) => versionCommand(c, stdout, stderr));
    });

  program
    .command('rollback')
    .description('boot the other slot (the version before the last upgrade)')
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (options: { nodes?: string }, command: Command) => {
      const { rollbackCommand } = await import('./lifecycle-commands.js');
      await withNodes(io, command, options.nodes, (c) => rollbackCommand(c, stdout, stderr));
    });

  program
    .command('bootstrap')
    .description('start etcd as a new cluster on this control plane (once per cluster)')
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (options: { nodes?: string }, command: Command) => {
      const { bootstrapCommand } = await import('./lifecycle-commands.js');
      await withNodes(io, command, options.nodes, (c) => bootstrapCommand(c, stdout, stderr));
    });

  program
    .command('reset')
    .description('wipe STATE and EPHEMERAL and reboot into maintenance')
    .option('--no-graceful', 'skip leaving etcd and cordoning (also --graceful=false)')
    .option('-n, --nodes <list>', nodesHelp)
    .action(async (options: { graceful: boolean; nodes?: string }, command: Command) => {
      const { resetCommand } = await import('./lifecycle-commands.js');
      await withNodes(io, command, options.nodes, (c) => resetCommand(c, options.graceful, stdout, stderr));
    });

  for (const action of ['reboot', 'shutdown'] as const) {
    const command = program
      .command(action)
      .description(
        action === 'reboot' ? 'reboot the nodes and wait until they are back' : 'shut the nodes down',
      )
      .option('-n, --nodes <list>', nodesHelp)
      .option('--timeout <seconds>', 'how long to wait', positiveInt, 120);
    if (action === 'reboot') command.option('--no-wait', 'return once the reboot was accepted');
    command.action(async (options: { nodes?: string; wait?: boolean; timeout: number }, cmd: Command) => {
      const { powerCommand } = await import('./power-commands.js');
      await withNodes(io, cmd, options.nodes, (c) =>
        powerCommand(
          c,
          action,
          { wait: options.wait !== false, timeoutSeconds: options.timeout },
          stdout,
          stderr,
        ),
      );
    });
  }

  program
    .command('dashboard')
    .description(
      "print the URL of each node's dashboard (a browser needs the client certificate of the config); --serve shows every node on one local page",
    )
    .option('-n, --nodes <list>', nodesHelp)
    .option(
      '--serve',
      'serve one page for all the nodes on loopback, forwarding to each with the certificate',
    )
    .option(
      '--listen <host:port>',
      'with --serve: the loopback address and port (port 0: any free port)',
      '127.0.0.1:50080',
    )
    .option('--log-level <level>', 'with --serve: log level on stderr', 'warn')
    .action(
      async (
        options: { nodes?: string; serve?: boolean; listen: string; logLevel: string },
        command: Command,
      ) => {
        if (options.serve) {
          const { resolveConnection } = await import('../config.js');
          const { resolveTargets } = await import('./node-client.js');
          const { dashboardServeCommand } = await import('./dashboard-command.js');
          const connection = resolveConnection(io.connectionFlags(command));
          const targets = resolveTargets(connection, options.nodes);
          await dashboardServeCommand(targets, connection.tls, options, stdout);
          return;
        }
        await withNodes(io, command, options.nodes, async (clients) => {
          for (const c of clients) stdout.write(`${c.name} ${new URL('/dashboard/', c.endpoint).href}\n`);
        });
      },
    );

  const cluster = program.command('cluster').description('a local cluster of node processes');
  cluster
    .command('create')
    .description('start a local cluster: node processes on 127.0.0.11, .12, … with a shared CA')
    .option('--control-planes <n>', 'how many control plane nodes', positiveInt, 1)
    .option('--workers <n>', 'how many worker nodes', positiveInt, 0)
    .option('--dir <dir>', "the cluster's folder (everything it writes stays there)", 'converge-cluster')
    .option('--port <port>', 'the node API port on every node address', positiveInt, 50_000)
    .option('--first-address <n>', "the first node's address is 127.0.0.<n>", positiveInt, 11)
    .option('--name <name>', "the cluster's name", 'converge')
    .option('--timeout <seconds>', 'how long to wait for the nodes', positiveInt, 60)
    .action(async (options: ClusterCreateFlags) => {
      const { clusterCreateCommand } = await import('./cluster-commands.js');
      await clusterCreateCommand(options, stdout);
    });
  cluster
    .command('destroy')
    .description("stop every node process of the cluster and remove the cluster's folder")
    .option('--dir <dir>', "the cluster's folder", 'converge-cluster')
    .action(async (options: { dir: string }) => {
      const { clusterDestroyCommand } = await import('./cluster-commands.js');
      await clusterDestroyCommand(options.dir, stdout);
    });

  program
    .command('demo')
    .description(
      'create a local 3-node cluster, upgrade it node by node, watch a broken version revert, destroy it',
    )
    .option('--dir <dir>', "where the cluster's folder goes (default: a new temporary folder)")
    .option('--port <port>', 'the node API port on every node address', positiveInt, 50_000)
    .option('--first-address <n>', "the first node's address is 127.0.0.<n>", positiveInt, 11)
    .option('--keep', 'leave the cluster running at the end')
    .action(async (options: DemoFlags) => {
      const { demoCommand } = await import('./demo-command.js');
      await demoCommand(options, stdout, stderr);
    });

  const node = program.command('node').description('run a node');
  node
    .command('run')
    .description('run one node (machined): its controllers, services and API on its own address')
    .requiredOption('--state-dir <dir>', "the node's state directory")
    .option('--address <ip>', 'the address the node API listens on', '127.0.0.1')
    .option('--port <port>', 'the node API port (0: any free port)', positiveInt, 50_000)
    .option('--platform <platform>', 'simulated or linux', 'simulated')
    .option('--netns <name>', 'the network namespace of the linux platform')
    .option('--ca-dir <dir>', 'directory with the cluster CA (ca.crt, ca.key); default a CA of its own')
    .option('--log-level <level>', 'log level on stderr', 'info')
    .addHelpText(
      'after',
      '\nThe global --config <file> names the machine config (v1alpha1 YAML) here; it is required.',
    )
    .action(async (options: Omit<NodeRunFlags, 'config'>, command: Command) => {
      const config = command.optsWithGlobals<{ config?: string }>().config;
      if (config === undefined) {
        const { CliError, exitCodes } = await import('../exit-codes.js');
        throw new CliError('node run needs --config <machine config file>', exitCodes.usage);
      }
      const { nodeRunCommand } = await import('./node-run.js');
      await nodeRunCommand({ ...options, config }, stdout);
    });
}
