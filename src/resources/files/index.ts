/** Rendered files: the node's `/etc/hosts` and `/etc/resolv.conf`. */
export {
  type EtcFileSpec,
  EtcFileSpecs,
  etcHostsId,
  etcResolvConfId,
  filesNamespace,
} from './etc-file-spec.js';
export { type EtcFileStatus, EtcFileStatuses } from './etc-file-status.js';
