import { readFileSync } from 'node:fs';

export type UserIdentity = { name: string; uid: number; gid: number; home: string };

/**
 * Looks a user up in /etc/passwd by name or numeric id (Node has no getpwnam). Null if unknown.
 */
export function resolveUser(user: string, passwd = '/etc/passwd'): UserIdentity | null {
  const lines = readFileSync(passwd, 'utf8').split('\n');
  for (const line of lines) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined) continue;
    if (name === user || uid === user) {
      return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
    }
  }
  // a bare numeric id without a passwd entry is still a valid uid to run as
  if (/^\d+$/.test(user)) return { name: user, uid: Number(user), gid: Number(user), home: '/' };
  return null;
}
