import { webcrypto } from 'node:crypto';
import type { Role } from '@switchboard/contract';
import { errors, jwtVerify, SignJWT } from 'jose';

const VERIFIED_MAX = 10_000;

export interface TokenClaims {
  userId: string;
  organizationId: string;
  role: Role;
}

/** HS256 access tokens carrying the user, their organization and role, with an expiry. */
export class TokenService {
  /** Imported once: jose would import a raw key again on every sign and verify. */
  readonly #key: Promise<webcrypto.CryptoKey>;
  readonly #ttlSeconds: number;
  /** Tokens already verified, until their expiry: a signature is checked once, not per request. */
  readonly #verified = new Map<string, { claims: TokenClaims; expiresAt: number }>();

  constructor(secret: string, ttlSeconds: number) {
    this.#key = webcrypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    this.#ttlSeconds = ttlSeconds;
  }

  async sign(claims: TokenClaims): Promise<string> {
    return new SignJWT({ org: claims.organizationId, role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuedAt()
      .setExpirationTime(`${this.#ttlSeconds}s`)
      .sign(await this.#key);
  }

  /** The claims of a valid token, or null for a malformed, forged, `alg: none` or expired one. */
  async verify(token: string): Promise<TokenClaims | null> {
    const known = this.#verified.get(token);
    if (known) {
      if (known.expiresAt > Date.now()) return known.claims;
      this.#verified.delete(token);
    }
    try {
      const { payload } = await jwtVerify(token, await this.#key, { algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.org !== 'string') return null;
      if (payload.role !== 'admin' && payload.role !== 'member') return null;
      if (typeof payload.exp !== 'number') return null;
      const claims: TokenClaims = { userId: payload.sub, organizationId: payload.org, role: payload.role };
      if (this.#verified.size >= VERIFIED_MAX) this.#verified.clear();
      this.#verified.set(token, { claims, expiresAt: payload.exp * 1000 });
      return claims;
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
  }
}
