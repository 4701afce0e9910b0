import { controlCommand } from '../control-command.js';

export const restart = controlCommand('restart', 'stop, then start instances', [
  'Stops each instance that runs, then starts it, and waits until it runs again (or fails to).',
]);
