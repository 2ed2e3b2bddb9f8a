import { describeStateConformance } from '../../../src/testing/index.js';
import { useEtcd } from './support.js';

const etcd = useEtcd();

// A fresh key prefix for every store the suite makes; etcd has no tail events (as upstream).
describeStateConformance('etcd', () => etcd.state(), {
  capabilities: { tailEvents: false },
  cleanup: (state) => state.close?.(),
});
