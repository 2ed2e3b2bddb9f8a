/**
 * The stand-in kubelet's entry point (`converge-kubelet`): validate, serve `/healthz`, stop on
 * SIGTERM. A bad input exits with code 1 and one line on stderr saying what is wrong.
 */
import type { Server } from 'node:http';
import { loadStandInKubelet, serveHealthz } from './stand-in-kubelet.js';

async function main(): Promise<void> {
  let server: Server | undefined;
  try {
    const kubelet = await loadStandInKubelet(process.argv.slice(2));
    server = kubelet.healthzPort === 0 ? undefined : await serveHealthz(kubelet);
    process.stdout.write(
      `kubelet (converge stand-in) running: node ${kubelet.nodename}, node IP ${kubelet.nodeIPs.join(',') || 'none'}, ` +
        `API server ${kubelet.server}, healthz ${kubelet.healthzPort === 0 ? 'off' : `http://${kubelet.healthzHost}:${kubelet.healthzPort}/healthz`}\n`,
    );
  } catch (error) {
    process.stderr.write(`kubelet: ${(error as Error).message}\n`);
    process.exit(1);
  }
  // Without a server nothing would keep the event loop alive.
  const idle = server === undefined ? setInterval(() => {}, 1 << 30) : undefined;
  const stop = (signal: string) => {
    process.stdout.write(`kubelet: ${signal}, stopping\n`);
    clearInterval(idle);
    if (server) server.close(() => process.exit(0));
    else process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

await main();
