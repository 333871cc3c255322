import type { Emulator } from './emulator.js';

/** What a developer needs on screen after `npm start`: where to point MSAL, and what to sign in with. */
export function banner(e: Emulator): string {
  const url = e.config.publicUrl;
  const host = new URL(url).host;
  const lines: string[] = ['', `ciam-emulator is ready on ${url}`, ''];
  for (const t of e.registry.list()) {
    const tenant = t.tenant;
    lines.push(`Tenant ${tenant.displayName}: ${tenant.id} (${tenant.defaultDomain}, ${tenant.subdomain})`);
    lines.push(`  authority   ${url}/${tenant.defaultDomain}/   (the GUID or '${tenant.subdomain}' work too)`);
    lines.push(`  issuer      ${t.issuer}`);
    lines.push(`  discovery   ${url}/${tenant.defaultDomain}/v2.0/.well-known/openid-configuration`);
    lines.push('  apps');
    const set = e.fixtures.tenant.id.toLowerCase() === tenant.id ? e.fixtures : undefined;
    for (const app of e.directory.applications.list(tenant.id)) {
      const kind = app.spaRedirectUris.length ? 'SPA' : app.webRedirectUris.length ? 'web app' : app.identifierUris.length ? 'API' : app.isConfidential ? 'daemon' : 'app';
      const secret = set?.applications.find((a) => a.appId.toLowerCase() === app.appId)?.passwordCredentials?.[0]?.secretText;
      const extra = app.identifierUris[0] ? `  ${app.identifierUris[0]}` : secret ? `  secret: ${secret}` : '';
      lines.push(`    ${app.appId}  ${kind.padEnd(7)} ${app.displayName}${extra}`);
    }
    for (const u of set?.users.filter((x) => x.password) ?? []) {
      const name = u.identities.find((i) => i.signInType === 'emailAddress')?.issuerAssignedId ?? u.id;
      lines.push(`  user        ${name} / ${u.password}${u.accountEnabled === false ? '   (blocked)' : ''}`);
    }
    lines.push('');
    lines.push('  MSAL configuration (the only lines that differ from a real tenant):');
    lines.push(`    authority: '${url}/${tenant.defaultDomain}',`);
    lines.push(`    knownAuthorities: ['${host}'],`);
    lines.push('');
  }
  lines.push(`Mailbox: ${url}/_emulator/mail   (every code the emulator emails)`);
  if (e.config.adminToken) {
    // With an admin token a browser has no way to send it: this link (single use) gives the browser
    // that opens it a session cookie for the mailbox and the control plane's reads.
    lines.push(`  The control plane needs the admin token. To use the mailbox in a browser, open once:`);
    lines.push(`  ${url}/_emulator/v1/session?ticket=${e.controlSessions.startupTicket()}`);
  }
  lines.push('');
  if (e.tls) {
    lines.push(`TLS: a local CA signed this server's certificate: ${e.tls.caFile}`);
    lines.push(`  Node apps:  export NODE_EXTRA_CA_CERTS=${e.tls.caFile}`);
    lines.push(`  Browsers:   trust that file, or download it from ${url}/_emulator/v1/ca.pem`);
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
