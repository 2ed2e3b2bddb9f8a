export { machineTypeController } from './machine-type-controller.js';
