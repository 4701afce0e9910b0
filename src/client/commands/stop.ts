import { controlCommand } from '../control-command.js';

export const stop = controlCommand('stop', 'stop instances and wait until they have exited', [
  'Sends each instance its stopsignal, then SIGKILL after its stoptime, and waits until it',
  'has exited.',
]);
