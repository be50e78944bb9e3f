import { loadConfig, ConfigError } from '../config';
import { ROLES, signToken, type Role } from './jwt';

/** `npm run -s token -- <role> [subject]`: prints a dev token. Refused in production. */
async function main(): Promise<void> {
  const [role = 'operator', sub = `dev-${process.argv[2] ?? 'operator'}`, stationList] = process.argv.slice(2);
  if (!(ROLES as readonly string[]).includes(role)) {
    process.stderr.write(`Unknown role "${role}". Use one of: ${ROLES.join(', ')}\n`);
    process.exit(2);
  }
  const config = loadConfig();
  if (!config.jwt.devTokens) {
    process.stderr.write('Dev tokens are disabled in production, with JWT_JWKS_URL, and on a non-loopback HOST: get a token from your identity provider.\n');
    process.exit(1);
  }
  const stations = stationList ? stationList.split(',').filter(Boolean) : undefined;
  process.stdout.write(`${await signToken(config.jwt, { sub, role: role as Role, stations })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
  process.exit(1);
});
