/** Time resources. */
export { type TimeStatus, TimeStatuses, timeStatusId } from './time-status.js';
