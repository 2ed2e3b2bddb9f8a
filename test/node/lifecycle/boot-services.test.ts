import { describe, expect, it } from 'vitest';
import { servicesAtImage } from '../../../src/node/lifecycle/boot-services.js';
import { parseNodeImage } from '../../../src/node/lifecycle/node-image.js';
import type { ServiceDefinition } from '../../../src/node/supervisor/service.js';

const etcd: ServiceDefinition = {
  id: 'etcd',
  process: () => ({ id: 'etcd', command: 'etcd', args: [] }),
  restart: { kind: 'forever' },
};

describe('services at an image', () => {
  it('should leave services alone at an image that breaks none', () => {
    expect(servicesAtImage([etcd], parseNodeImage({ version: 'v1.0.0' }))).toEqual([etcd]);
  });

  it('should hold back a service the image breaks, and add one it names but the node lacks', async () => {
    const image = parseNodeImage({ version: 'v2.0.0', failingServices: ['etcd', 'apid'] });
    const [held, added] = servicesAtImage([etcd], image);
    expect(held?.process).toBe(etcd.process);
    expect(await held?.condition?.missing()).toEqual(['etcd does not work at v2.0.0']);
    expect(added?.id).toBe('apid');
    expect(await added?.condition?.missing()).toEqual(['apid does not work at v2.0.0']);
  });
});
