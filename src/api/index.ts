/**
 * `converge/api`: the HTTPS resource API with mutual TLS and roles, the remote state client that
 * speaks it, and the certificates both ends need. Its own entry so that importing `converge`
 * loads no TLS or X.509 code.
 *
 * @packageDocumentation
 */
export { ApiError, type ApiErrorCode, isApiError, type WireError } from './api-error.js';
export {
  type CertificateBundle,
  type GenerateCertificatesOptions,
  generateCa,
  generateCertificates,
  type IssueCertificateOptions,
  issueCertificate,
  type PemKeyPair,
} from './certificates.js';
export type { ApiLimits } from './limits.js';
export { createRemoteState, type RemoteStateOptions } from './remote-state.js';
export type { WatchRetryOptions } from './remote-watch.js';
export { type Role, roleFromOrganizations, roleOrganization, roles } from './roles.js';
export { type ApiServer, type ApiServerOptions, type ApiTlsOptions, createApiServer } from './server.js';
export { redactedSpec } from './wire.js';
