import { unlinkSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import type { ReloadChanges } from '../rpc/protocol.js';
import type { Handlers } from '../rpc/server.js';
import type { XmlRpcPort } from '../xmlrpc/port.js';
import { XmlRpcServer } from '../xmlrpc/server.js';
import { audit } from './audit.js';
import type { Daemon } from './daemon.js';
import { reload } from './handlers.js';
import { followFile, tailFile } from './tail-file.js';

/**
 * Serves Supervisor's XML-RPC API when the config has `server.xmlrpc` (docs/xmlrpc.md), on the
 * same handlers as the msgpack RPC. A bind that fails is an ERROR line and the daemon goes on
 * without it: `tm` still reaches it, and the line says what to fix. Null when off or not bound.
 */
export async function startXmlRpc(
  daemon: Daemon,
  handlers: Handlers,
): Promise<XmlRpcServer | null> {
  const section = daemon.currentConfig.server.xmlrpc;
  if (section === undefined) return null;
  const server = new XmlRpcServer({ section, port: xmlRpcPort(daemon, handlers), log: daemon.log });
  const where =
    'socket' in section.listen
      ? section.listen.socket
      : `${section.listen.host}:${section.listen.port}`;
  try {
    const bound = await server.listen();
    daemon.log.info(`xmlrpc: Supervisor's XML-RPC API on ${bound} (user ${section.username})`);
    if (section.isPublic) {
      daemon.log.warn(
        `xmlrpc: ${bound} is not loopback (public: true): anyone who can reach it and knows the password controls this daemon`,
      );
    }
    return server;
  } catch (error) {
    await server.close().catch(() => {});
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const why = code === 'EADDRINUSE' ? 'the address is in use' : code;
    daemon.log.error(`xmlrpc: cannot listen on ${where}: ${why}; serving without XML-RPC`);
    return null;
  }
}

function xmlRpcPort(daemon: Daemon, handlers: Handlers): XmlRpcPort {
  const logFile = () => daemon.currentConfig.daemon.logfile;
  return {
    handlers,
    programs: () => daemon.currentConfig.programs,
    isStopping: () => daemon.isStopping,
    logFile,
    events$: daemon.events$,
    readPrograms: () => loadConfig(daemon.currentConfig.file).programs,
    applyPrograms: (programs, args, context) => {
      const rows = audit((note) => daemon.note(note), context, 'reload', args);
      rows.asked([null]);
      let changes: ReloadChanges;
      try {
        changes = reload(daemon, programs);
      } catch (error) {
        rows.failed([null], error);
        throw error;
      }
      rows.ok(`revision ${changes.revision}: ${changes.summary}`);
      return changes;
    },
    clearLog: () => {
      // as Supervisor: the file goes, and the log opens it anew
      unlinkSync(logFile());
      daemon.log.reopen();
      daemon.log.info('xmlrpc: the log was cleared (clearLog)');
    },
    followLog: (bytes) => {
      const file = logFile();
      let chunk;
      try {
        chunk = tailFile(file, bytes);
      } catch {
        // not there (cleared a moment ago): followed from its start once it is
        chunk = { text: '', offset: 0 };
      }
      return {
        text: chunk.text,
        events: (flow) => followFile(file, chunk.offset, flow),
      };
    },
  };
}
