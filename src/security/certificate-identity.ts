/**
 * The name a verified client certificate gives its holder, per `tls.tenant_from`: its URI subject alternative
 * name (san_uri, for example a SPIFFE id), its DNS one (san_dns), or its subject common name (cn). The tenants
 * file maps that name to a tenant (identityForCertificate). Only certificates the TLS layer verified against the
 * configured client CA reach here (verifiedPeerCertificate).
 */
import type { PeerCertificate, TLSSocket } from 'node:tls';

export type TenantFrom = 'san_uri' | 'san_dns' | 'cn';

/** The verified client certificate of a TLS connection, or null (clear text, no certificate, or not verified). */
export function verifiedPeerCertificate(socket: unknown): PeerCertificate | null {
  const s = socket as Partial<TLSSocket> | null;
  if (!s || typeof s.getPeerCertificate !== 'function' || s.authorized !== true) return null;
  const cert = s.getPeerCertificate();
  return cert && cert.raw ? cert : null;
}

/**
 * The certificate's name of the kind `from`, or null when it has none. A certificate with two different names
 * of that kind names nobody (null): which tenant it means would be a guess.
 */
export function certificateName(cert: PeerCertificate, from: TenantFrom): string | null {
  let names: string[];
  if (from === 'cn') {
    const cn = (cert.subject as unknown as Record<string, string | string[] | undefined> | undefined)?.CN;
    names = cn === undefined ? [] : Array.isArray(cn) ? cn : [cn];
  } else {
    const type = from === 'san_uri' ? 'URI' : 'DNS';
    names = subjectAltNames(cert.subjectaltname ?? '')
      .filter((n) => n.type === type)
      .map((n) => n.value);
  }
  const distinct = [...new Set(names.filter((n) => n.length > 0))];
  return distinct.length === 1 ? distinct[0] : null;
}

/**
 * Parses Node's `subjectaltname` string: `DNS:a.example, URI:spiffe://acme/w, IP Address:127.0.0.1`. Since
 * Node 17 (CVE-2021-44532) a value holding a comma, quote or other special character is written as a JSON
 * string, so a name cannot smuggle in a second entry; this reads those back.
 */
export function subjectAltNames(text: string): Array<{ type: string; value: string }> {
  const out: Array<{ type: string; value: string }> = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let j = colon + 1;
    let value: string;
    if (text[j] === '"') {
      let k = j + 1;
      while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(j, k + 1)) as string;
      } catch {
        return out; // malformed: stop rather than guess at the rest
      }
      j = k + 1;
    } else {
      const end = text.indexOf(', ', j);
      value = text.slice(j, end < 0 ? text.length : end);
      j = end < 0 ? text.length : end;
    }
    out.push({ type, value });
    if (text.startsWith(', ', j)) j += 2;
    else if (j < text.length) return out;
    i = j;
  }
  return out;
}
