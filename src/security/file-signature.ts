/**
 * What the security layer's file watchers (tenants file, JWKS file, TLS files) compare to see a change:
 * inode (a rename-replace), size, and modification and change times. '' when the file cannot be stat'ed.
 * Polling stat is the fallback that works on every file system, where fs.watch may say nothing.
 */
import fs from 'node:fs';

export function fileSignature(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    return '';
  }
}
