import { cutServerSection, readConfigText } from '../config/config-text.js';
import { plainServerSection, type ServerAddress } from '../config/plain-server-section.js';
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
export async function findDaemon(
  given: { config: string | null; host: string | null; port: number | null },
  env: Readonly<Record<string, string | undefined>>,
): Promise<DaemonAddress> {
  const configFile = given.config ?? (env.TM_CONFIG === '' ? undefined : env.TM_CONFIG);
  if (configFile === undefined) {
    throw new UsageError(
      'no config file: tm reads the address and the token of taskmasterd from its config',
      'pass it with tm -c config.yaml COMMAND, or set TM_CONFIG=config.yaml',
    );
  }
  let server;
  try {
    server = await readServerSection(configFile);
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

/**
 * The server section of `file`: read by its lines when they are of the plain shape, else parsed
 * with the YAML package, loaded only then (it is most of what tm would otherwise load).
 */
async function readServerSection(file: string): Promise<ServerAddress> {
  const cut = cutServerSection(readConfigText(file));
  const plain = cut === null ? null : plainServerSection(cut === 'absent' ? null : cut.text, file);
  if (plain !== null) return plain;
  const { loadServerSection } = await import('../config/load.js');
  return loadServerSection(file);
}
