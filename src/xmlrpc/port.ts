import type { Observable } from 'rxjs';
import type { ProgramSpec, StoredEvent } from '../domain/types.js';
import type { ReloadChanges, TailEvent } from '../rpc/protocol.js';
import type { Flow, Handlers, RequestContext } from '../rpc/server.js';

/**
 * What the XML-RPC endpoint needs of the daemon, beyond the handlers it shares with the msgpack
 * RPC (one implementation of start, stop, signal, tail, reload, shutdown, with their audit rows).
 * The daemon supplies it (src/daemon/xmlrpc-port.ts); this folder never imports the daemon.
 */
export type XmlRpcPort = {
  handlers: Handlers;
  /** The programs of the config in force. */
  programs: () => readonly ProgramSpec[];
  isStopping: () => boolean;
  /** The daemon's own log file (readLog, clearLog, /mainlogtail). */
  logFile: () => string;
  /** Every transition, after it is stored. */
  events$: Observable<StoredEvent>;
  /** The programs of the config file as it is now, validated but not applied (ConfigError). */
  readPrograms: () => readonly ProgramSpec[];
  /**
   * Applies `programs` in place of those in force, as a reload of a config with only them would
   * (the other sections unchanged), on record as a reload with `args` (`add=web`).
   */
  applyPrograms: (
    programs: readonly ProgramSpec[],
    args: string,
    context: RequestContext,
  ) => ReloadChanges;
  /** Empties the daemon's log: the file is removed and opened again (Supervisor's clearLog). */
  clearLog: () => void;
  /** The daemon log's last `bytes`, then what is appended, read only as fast as `flow` takes. */
  followLog: (bytes: number) => { text: string; events: (flow: Flow) => Observable<TailEvent> };
};
