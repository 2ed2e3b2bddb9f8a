// The library never writes to the console: any console call in a test run is a bug.
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[method] = (...args: unknown[]) => {
    throw new Error(`console.${method} called: ${args.map(String).join(' ')}`);
  };
}
