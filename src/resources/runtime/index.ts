/** Runtime resources: services and the machine's status. */
export { type MachineStatus, MachineStatuses, machineStages, machineStatusId } from './machine-status.js';
export { type Service, Services } from './service.js';
