import { TaskmasterError } from '../domain/errors.js';
import { VERSION } from '../domain/version.js';
import { readToken } from '../rpc/auth.js';
import { RpcConnection } from '../rpc/connection.js';
import type { GlobalOptions } from './argv.js';
import { findDaemon } from './daemon-address.js';

/** Finds the daemon from the config, reads its token and says hello; errors say what to do. */
export async function connectDaemon(
  global: GlobalOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RpcConnection> {
  const daemon = await findDaemon(global, env);
  const token = readToken(daemon.tokenfile);
  try {
    // named in the daemon's event log beside each action it asks
    return await RpcConnection.open(daemon.endpoint, token, undefined, `tm ${VERSION}`);
  } catch (error) {
    if (!(error instanceof TaskmasterError)) throw error;
    // the hint names the config the user gave, not a generic one
    if (error.code === 'UNREACHABLE') {
      throw new TaskmasterError('UNREACHABLE', error.message, {
        hint: `is it running? start it with taskmasterd -c ${daemon.configFile}`,
        cause: error,
      });
    }
    // something answered hello in another protocol (an HTTP server, say): not a daemon of ours
    if (error.code === 'BAD_FRAME' || error.code === 'FRAME_TOO_LARGE') {
      const { host, port } = daemon.endpoint;
      throw new TaskmasterError(
        'UNREACHABLE',
        `cannot reach taskmasterd at ${host}:${port}: what listens there does not speak its protocol (${error.message})`,
        { hint: `check --port, or server.port in ${daemon.configFile}`, cause: error },
      );
    }
    throw error;
  }
}
