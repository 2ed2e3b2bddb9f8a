import type { Output } from './commands/output-sink.js';
import { exitCodes } from './exit-codes.js';

/** Whether an error says the reader of a pipe went away. */
function isClosedPipe(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/**
 * Stops the CLI once nobody reads its output (`converge get rd | head -1`), as SIGPIPE stops a Unix
 * tool: a command that stops on SIGTERM (a watch, a server, a node) stops as on SIGTERM, anything
 * else ends at once with success, since what it would print has no reader.
 */
function stopForClosedOutput(): void {
  if (process.listenerCount('SIGTERM') > 0) process.kill(process.pid, 'SIGTERM');
  else process.exit(process.exitCode ?? exitCodes.ok);
}

/**
 * The CLI's output on one of the process's streams. Node raises a write to a closed pipe (EPIPE)
 * as an uncaught error with a stack; here it ends the command quietly instead (`onClosed`, once)
 * and later writes are dropped. Every verb writes through these, so each one, streaming or not,
 * stops the same way.
 */
export function processOutput(
  stream: NodeJS.WriteStream,
  onClosed: () => void = stopForClosedOutput,
): Output {
  let closed = false;
  stream.on('error', (error: Error) => {
    if (!isClosedPipe(error)) throw error;
    if (closed) return;
    closed = true;
    onClosed();
  });
  return {
    write(text) {
      if (!closed) stream.write(text);
    },
  };
}
