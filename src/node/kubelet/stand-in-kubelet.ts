/**
 * The stand-in kubelet, for machines without a real one: it reads the files a real kubelet would
 * (its flags, the KubeletConfiguration, the kubeconfig), refuses bad ones with a clear error, and
 * serves `/healthz` where the configuration says, until SIGTERM.
 */
import { access, constants, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { isIP } from 'node:net';
import { parse } from 'yaml';
import { z } from 'zod';

/** A file or flag the stand-in kubelet refuses: the message names which and why. */
class StandInKubeletError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StandInKubeletError';
  }
}

/** What the stand-in kubelet runs with, once everything it read is valid. */
export interface StandInKubelet {
  readonly nodename: string;
  readonly nodeIPs: readonly string[];
  readonly healthzHost: string;
  /** 0: no healthz server. */
  readonly healthzPort: number;
  /** The kubeconfig it read (the bootstrap one until a kubeconfig exists). */
  readonly kubeconfig: string;
  readonly server: string;
}

const ipText = z
  .string()
  .refine((s) => isIP(s) !== 0, { error: (i) => `not an IP address: ${JSON.stringify(i.input)}` });

const kubeletConfigurationSchema = z.looseObject({
  apiVersion: z.literal('kubelet.config.k8s.io/v1beta1'),
  kind: z.literal('KubeletConfiguration'),
  healthzBindAddress: ipText.default('127.0.0.1'),
  healthzPort: z.number().int().min(0).max(65_535).default(10248),
  port: z.number().int().min(1).max(65_535).optional(),
  clusterDomain: z.string().min(1).optional(),
  clusterDNS: z.array(ipText).optional(),
  staticPodPath: z.string().optional(),
  authentication: z
    .looseObject({ x509: z.looseObject({ clientCAFile: z.string().min(1).optional() }).optional() })
    .optional(),
});

const kubeconfigSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Config'),
  clusters: z.array(
    z.object({
      name: z.string().min(1),
      cluster: z.looseObject({
        server: z.url({ protocol: /^https?$/ }),
        'certificate-authority-data': z.base64().optional(),
      }),
    }),
  ),
  users: z.array(
    z.object({ name: z.string().min(1), user: z.looseObject({ token: z.string().optional() }) }),
  ),
  contexts: z.array(
    z.object({ name: z.string().min(1), context: z.object({ cluster: z.string(), user: z.string() }) }),
  ),
  'current-context': z.string().min(1),
});

const nodenamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Parses `--name=value` and `--name value` flags; a bare `--name` is `true`. */
function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new StandInKubeletError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) flags.set(arg.slice(2), argv[++i]!);
    else flags.set(arg.slice(2), 'true');
  }
  return flags;
}

function issues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

async function readYaml(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new StandInKubeletError(`${what} ${path}: ${(error as Error).message}`);
  }
  try {
    return parse(text);
  } catch (error) {
    throw new StandInKubeletError(`${what} ${path}: not YAML: ${(error as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path, constants.R_OK).then(
    () => true,
    () => false,
  );
}

/** Reads and checks the kubeconfig: the current context names a cluster with a server and a user. */
async function readKubeconfig(path: string): Promise<string> {
  const parsed = kubeconfigSchema.safeParse(await readYaml(path, 'kubeconfig'));
  if (!parsed.success) throw new StandInKubeletError(`kubeconfig ${path}: ${issues(parsed.error)}`);
  const config = parsed.data;
  const context = config.contexts.find((c) => c.name === config['current-context']);
  if (!context)
    throw new StandInKubeletError(
      `kubeconfig ${path}: current-context ${config['current-context']} is not defined`,
    );
  const cluster = config.clusters.find((c) => c.name === context.context.cluster);
  if (!cluster)
    throw new StandInKubeletError(`kubeconfig ${path}: cluster ${context.context.cluster} is not defined`);
  if (!config.users.some((u) => u.name === context.context.user)) {
    throw new StandInKubeletError(`kubeconfig ${path}: user ${context.context.user} is not defined`);
  }
  const ca = cluster.cluster['certificate-authority-data'];
  if (ca !== undefined && !Buffer.from(ca, 'base64').toString().includes('-----BEGIN CERTIFICATE-----')) {
    throw new StandInKubeletError(`kubeconfig ${path}: certificate-authority-data holds no PEM certificate`);
  }
  return cluster.cluster.server;
}

/** Reads and validates everything the kubelet was given; throws {@link StandInKubeletError} on the first bad input. */
export async function loadStandInKubelet(argv: readonly string[]): Promise<StandInKubelet> {
  const flags = parseFlags(argv);
  const configPath = flags.get('config');
  if (configPath === undefined) throw new StandInKubeletError('--config is required');
  const parsed = kubeletConfigurationSchema.safeParse(await readYaml(configPath, 'KubeletConfiguration'));
  if (!parsed.success)
    throw new StandInKubeletError(`KubeletConfiguration ${configPath}: ${issues(parsed.error)}`);
  const clientCA = parsed.data.authentication?.x509?.clientCAFile;
  if (clientCA !== undefined && !(await exists(clientCA))) {
    throw new StandInKubeletError(
      `KubeletConfiguration ${configPath}: clientCAFile ${clientCA} cannot be read`,
    );
  }
  const kubeconfigPath = flags.get('kubeconfig');
  const bootstrapPath = flags.get('bootstrap-kubeconfig');
  const kubeconfig =
    kubeconfigPath !== undefined && (await exists(kubeconfigPath)) ? kubeconfigPath : bootstrapPath;
  if (kubeconfig === undefined)
    throw new StandInKubeletError('--kubeconfig or --bootstrap-kubeconfig is required');
  const server = await readKubeconfig(kubeconfig);
  const nodeIPs = (flags.get('node-ip') ?? '').split(',').filter((ip) => ip !== '');
  const badIP = nodeIPs.find((ip) => isIP(ip) === 0);
  if (badIP !== undefined)
    throw new StandInKubeletError(`--node-ip: not an IP address: ${JSON.stringify(badIP)}`);
  const nodename = flags.get('hostname-override') ?? '';
  if (!nodenamePattern.test(nodename)) {
    throw new StandInKubeletError(
      `--hostname-override: ${JSON.stringify(nodename)} is not a valid node name`,
    );
  }
  return {
    nodename,
    nodeIPs,
    healthzHost: parsed.data.healthzBindAddress,
    healthzPort: parsed.data.healthzPort,
    kubeconfig,
    server,
  };
}

/** Serves `/healthz` (200 `ok`; anything else 404); resolves once listening. */
export function serveHealthz(kubelet: StandInKubelet): Promise<Server> {
  const server = createServer((request, response) => {
    const ok = request.method === 'GET' && request.url === '/healthz';
    response.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' });
    response.end(ok ? 'ok' : 'not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new StandInKubeletError(`healthz ${kubelet.healthzHost}:${kubelet.healthzPort}: ${error.message}`),
      ),
    );
    server.listen(kubelet.healthzPort, kubelet.healthzHost, () => resolve(server));
  });
}
