import { controlCommand } from '../control-command.js';

export const start = controlCommand('start', 'start instances and wait until they run', [
  'Waits until each instance has stayed up its starttime (started), or has failed to',
  '(spawn error, exited too quickly).',
]);
