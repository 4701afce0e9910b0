import { loadServerSection } from '../config/load.js';
import { ConfigError } from '../domain/errors.js';
import type { Endpoint } from '../rpc/connection.js';
import { UsageError } from './usage-error.js';

export type DaemonAddress = {
  /** The config file as the user named it (for messages). */
  configFile: string;
  endpoint: Endpoint;
  tokenfile: string;
};

/**
 * Where the daemon listens and where its token is, from its own config file (`-c FILE`, else
 * $TM_CONFIG), as `supervisorctl -c` does; `--host` and `--port` override the address.
 */
export function findDaemon(
  given: { config: string | null; host: string | null; port: number | null },
  env: Readonly<Record<string, string | undefined>>,
): DaemonAddress {
  const configFile = given.config ?? (env.TM_CONFIG === '' ? undefined : env.TM_CONFIG);
  if (configFile === undefined) {
    throw new UsageError(
      'no config file: tm reads the address and the token of taskmasterd from its config',
      'pass it with tm -c config.yaml COMMAND, or set TM_CONFIG=config.yaml',
    );
  }
  let server;
  try {
    server = loadServerSection(configFile);
  } catch (error) {
    // the file named is wrong for tm: that is how tm was called
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const port = given.port ?? server.port;
  if (port === 0) {
    throw new UsageError(
      `server.port is 0 in ${configFile}: taskmasterd listens on a port the system picked`,
      'pass it with --port PORT (taskmasterd logs "listening on HOST:PORT")',
    );
  }
  return {
    configFile,
    endpoint: { host: given.host ?? server.host, port },
    tokenfile: server.tokenfile,
  };
}
