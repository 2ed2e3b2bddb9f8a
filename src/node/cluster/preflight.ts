/**
 * Checks before a local cluster starts anything: the addresses and ports its nodes will listen on
 * are free (a second cluster on the same addresses fails here with the ports named, instead of as
 * node processes that cannot bind), and the etcd its control planes run is installed.
 */
import { access, constants } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** An address and port something will listen on, and what. */
export interface PlannedListener {
  readonly host: string;
  readonly port: number;
  readonly what: string;
}

/** Resolves with the error code when `host:port` cannot be listened on, `undefined` when it can. */
function tryListen(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Throws an error naming every planned listener whose address and port are taken or unusable. */
export async function assertListenersFree(listeners: readonly PlannedListener[]): Promise<void> {
  const taken: string[] = [];
  for (const l of listeners) {
    const code = await tryListen(l.host, l.port);
    if (code !== undefined) taken.push(`${l.host}:${l.port} (${l.what}: ${code})`);
  }
  if (taken.length > 0) {
    throw new Error(
      `cannot listen on ${taken.join(', ')}: another cluster may use these addresses; destroy it, or choose --first-address/--port`,
    );
  }
}

/** Throws, naming the package to install, when no `etcd` executable is on `PATH`. */
export async function assertEtcdInstalled(path = process.env.PATH ?? ''): Promise<void> {
  for (const dir of path.split(delimiter).filter((d) => d !== '')) {
    const found = await access(join(dir, 'etcd'), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return;
  }
  throw new Error(
    'etcd is not installed (control planes run a real etcd): sudo apt-get update && sudo apt-get install -y etcd-server',
  );
}
