/**
 * Example 02: a transform controller turns every Service into an Endpoint, and a hand-written
 * controller keeps a summary over all Endpoints. Watch updates and teardowns flow through.
 *
 * Run: npx tsx --conditions=source examples/02-transform-controller/main.ts
 */
import {
  createRuntime,
  createState,
  defineController,
  defineResource,
  input,
  output,
  transformController,
} from 'converge';
import { pino } from 'pino';
import { z } from 'zod';

const out = (line: string) => process.stdout.write(`${line}\n`);

// 1. Three resource types: what users write, what the transform derives, and a summary.
const Services = defineResource({
  type: 'Services.example.converge.dev',
  spec: z.object({ host: z.string(), port: z.number().int().min(1).max(65_535) }),
});
const Endpoints = defineResource({
  type: 'Endpoints.example.converge.dev',
  spec: z.object({ url: z.string() }),
});
const Summaries = defineResource({
  type: 'Summaries.example.converge.dev',
  spec: z.object({ count: z.number(), urls: z.array(z.string()) }),
});

// 2. A generic transform: one Endpoint per Service, with a mapped id. With `inputFinalizers`, the
//    Service carries the controller's finalizer while its Endpoint exists, so tearing a Service
//    down removes its Endpoint first.
const ServiceToEndpoint = transformController({
  name: 'EndpointController',
  inputFinalizers: true,
  input: Services,
  output: Endpoints,
  map: (svc) => Endpoints.make(`ep-${svc.metadata.id}`, { url: `http://${svc.spec.host}:${svc.spec.port}` }),
});

// 3. A full-reconcile controller: runs once at start and again whenever an Endpoint changes.
const Summary = defineController({
  name: 'SummaryController',
  inputs: [input.weak(Endpoints)],
  outputs: [output.exclusive(Summaries)],
  async reconcile(ctx) {
    const urls = (await ctx.list(Endpoints.kind())).map((e) => e.spec.url);
    await ctx.modify(Summaries.make('all', { count: 0, urls: [] }), (d) => {
      d.spec.count = urls.length;
      d.spec.urls = urls;
    });
    ctx.log.debug({ count: urls.length }, 'summary written');
  },
});

// 4. A state, a runtime over it, the controllers; then start.
const state = createState();
const runtime = createRuntime({ state, logger: pino({ level: 'warn' }) });
runtime.register(ServiceToEndpoint);
runtime.register(Summary);
await runtime.start();

const show = async (title: string) => {
  const summary = await state.get(Summaries.pointer('all'));
  out(`${title}: ${summary.spec.count} endpoint(s)`);
  for (const url of summary.spec.urls) out(`  ${url}`);
};

// 5. Write inputs and wait until every controller has nothing left to do.
await state.create(Services.make('web', { host: 'web.local', port: 80 }));
await state.create(Services.make('api', { host: 'api.local', port: 8080 }));
await runtime.settled();
await show('after creating web and api');

// 6. An update flows through both controllers.
const api = await state.get(Services.pointer('api'));
await state.update({ ...api, spec: { ...api.spec, port: 9090 } });
await runtime.settled();
await show('after moving api to port 9090');

// 7. Teardown: the Endpoint goes first, then the Service's finalizer is released and it is destroyed.
out(`web's finalizers: ${JSON.stringify((await state.get(Services.pointer('web'))).metadata.finalizers)}`);
await state.teardownAndDestroy(Services.pointer('web'));
await runtime.settled();
await show('after tearing web down');

// 8. What the runtime knows about itself.
out('\ndependency graph (Mermaid):');
out(runtime.dependencyGraph().toMermaid());
const m = runtime.metrics().controllers;
out(
  `reconciles: EndpointController=${m.EndpointController?.reconciles}, SummaryController=${m.SummaryController?.reconciles}`,
);

await runtime.stop();
