/**
 * Signing keys for client assertions: loaded from a PKCS#8 PEM file or a
 * private JWK (what HelseID's self-service hands out), RSA or EC. The
 * algorithm follows the key unless set; the key id (`kid`) is the JWK's own,
 * or else its RFC 7638 thumbprint, which is what a registration shows.
 *
 * @example
 * ```ts
 * const key = await loadSigningKey({ text: await Deno.readTextFile("key.jwk.json") });
 * key.alg; // "RS256"
 * ```
 *
 * @module
 */

import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type JWK,
} from "jose";
import { AuthError } from "./auth_error.ts";

/** Signature algorithms accepted for client assertions. */
export const SIGNING_ALGS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
] as const;

export type SigningAlg = typeof SIGNING_ALGS[number];

/** A private key ready to sign, with what a registration needs to know. */
export interface SigningKey {
  /** Non-extractable private key. */
  key: CryptoKey;
  alg: SigningAlg;
  kid: string;
  /** The public half as a JWK, with `kid`, `alg` and `use: "sig"`. */
  publicJwk: JWK;
}

/** Options for {@linkcode loadSigningKey}. */
export interface LoadSigningKeyOptions {
  /** The key file's text: a PKCS#8 PEM or a private JWK in JSON. */
  text: string;
  /** The algorithm; @default from the key: RS256 for RSA, ES256/ES384 for EC */
  alg?: SigningAlg;
  /** Names the key's source in error messages (a setting or a file path). */
  source?: string;
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/** The public members of a JWK: private ones dropped. */
export function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  delete copy.key_ops;
  delete copy.ext;
  return copy as JWK;
}

/**
 * Load a private key for signing client assertions.
 *
 * @throws {AuthError} `ERR_AUTH_KEY` when the text is no private RSA or EC key,
 * or the algorithm does not fit it; the message never quotes the text.
 */
export async function loadSigningKey(
  options: LoadSigningKeyOptions,
): Promise<SigningKey> {
  const { text, source = "the key" } = options;
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    return await fromJwk(parseJwk(trimmed, source), options.alg, source);
  }
  if (trimmed.startsWith("-----BEGIN")) {
    return await fromPem(trimmed, options.alg, source);
  }
  throw keyError(
    `${source} is neither a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") nor a JWK in JSON`,
  );
}

function parseJwk(text: string, source: string): JWK {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message may quote key material.
    throw keyError(`${source} is not valid JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw keyError(`${source} must be one JWK object`);
  }
  const jwk = parsed as JWK;
  if (Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw keyError(
      `${source} is a key set; give the one private JWK to sign with`,
    );
  }
  return jwk;
}

async function fromJwk(
  jwk: JWK,
  alg: SigningAlg | undefined,
  source: string,
): Promise<SigningKey> {
  if (jwk.kty !== "RSA" && jwk.kty !== "EC") {
    throw keyError(
      `${source} must be an RSA or EC key, got kty ${
        JSON.stringify(String(jwk.kty ?? "none").slice(0, 10))
      }`,
    );
  }
  if (typeof jwk.d !== "string") {
    throw keyError(
      `${source} is a public key; a private JWK (with "d") is needed to sign`,
    );
  }
  const jwkAlg = SIGNING_ALGS.find((known) => known === jwk.alg);
  if (jwk.alg !== undefined && jwkAlg === undefined) {
    throw keyError(
      `${source} names alg ${
        JSON.stringify(String(jwk.alg).slice(0, 10))
      }, which is not one of ${SIGNING_ALGS.join(", ")}`,
    );
  }
  const chosen = alg ?? jwkAlg ?? defaultAlg(jwk.kty, jwk.crv);
  checkFits(chosen, jwk.kty, jwk.crv, source);

  let key: CryptoKey;
  try {
    key = await importJWK({ ...jwk, ext: false, key_ops: undefined }, chosen, {
      extractable: false,
    }) as CryptoKey;
  } catch {
    throw keyError(`${source} could not be used as an ${chosen} key`);
  }
  const publicJwk = publicPart(jwk);
  await checkSignsAndVerifies(key, publicJwk, chosen, source);
  const kid = jwk.kid ?? await calculateJwkThumbprint(publicJwk);
  return {
    key,
    alg: chosen,
    kid,
    publicJwk: { ...publicJwk, kid, alg: chosen, use: "sig" },
  };
}

async function fromPem(
  pem: string,
  alg: SigningAlg | undefined,
  source: string,
): Promise<SigningKey> {
  const label = /^-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(pem)?.[1];
  if (label !== undefined && /PUBLIC KEY$|^CERTIFICATE$/.test(label)) {
    throw keyError(
      `${source} is ${
        label === "CERTIFICATE"
          ? "a certificate, which holds only a public key"
          : "a public key"
      }; the private key (a PKCS#8 PEM or a private JWK) is needed to sign`,
    );
  }
  if (label === "ENCRYPTED PRIVATE KEY") {
    throw keyError(
      `${source} is encrypted; write it unencrypted (PKCS#8) with: openssl pkey -in FILE -out key.pem, and keep that file private`,
    );
  }
  if (label !== "PRIVATE KEY") {
    throw keyError(
      `${source} must be a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"); convert it with: openssl pkcs8 -topk8 -nocrypt`,
    );
  }
  const kind = pemKeyKind(pem);
  if (kind === undefined) {
    throw keyError(`${source} holds no RSA or EC P-256/P-384 private key`);
  }
  const chosen = alg ?? defaultAlg(kind.kty, kind.crv);
  checkFits(chosen, kind.kty, kind.crv, source);

  let jwk: JWK;
  try {
    const extractable = await importPKCS8(pem, chosen, { extractable: true });
    jwk = await exportJWK(extractable);
  } catch {
    throw keyError(`${source} could not be read as an ${chosen} key`);
  }
  return await fromJwk(jwk, chosen, source);
}

/** Read the key type from the PKCS#8 AlgorithmIdentifier's OIDs. */
function pemKeyKind(
  pem: string,
): { kty: "RSA" | "EC"; crv?: string } | undefined {
  const base64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
  const head = der.subarray(0, 40);
  const has = (oid: number[]) => indexOf(head, oid) >= 0;
  if (has(OID_RSA)) return { kty: "RSA" };
  if (has(OID_EC)) {
    if (has(OID_P256)) return { kty: "EC", crv: "P-256" };
    if (has(OID_P384)) return { kty: "EC", crv: "P-384" };
  }
  return undefined;
}

// DER encodings (tag, length, value) of the OIDs that name the key type.
const OID_RSA = [6, 9, 42, 134, 72, 134, 247, 13, 1, 1, 1];
const OID_EC = [6, 7, 42, 134, 72, 206, 61, 2, 1];
const OID_P256 = [6, 8, 42, 134, 72, 206, 61, 3, 1, 7];
const OID_P384 = [6, 5, 43, 129, 4, 0, 34];

function indexOf(haystack: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/**
 * Sign a test JWS and verify it with the public members. WebCrypto imports
 * a JWK whose `d` is damaged, or whose `x`/`y` belong to another key, and
 * only signing (or a token endpoint's check) finds out; this finds out at
 * start, where the setting can be named.
 */
async function checkSignsAndVerifies(
  key: CryptoKey,
  publicJwk: JWK,
  alg: SigningAlg,
  source: string,
): Promise<void> {
  const payload = new TextEncoder().encode("medlemsbro key check");
  let jws: string;
  try {
    jws = await new CompactSign(payload).setProtectedHeader({ alg })
      .sign(key);
  } catch {
    // The cause's message is WebCrypto's ("key data malformed"); the key's
    // source is what the reader can act on.
    throw keyError(
      `${source} could not sign with ${alg}: its private part is damaged`,
    );
  }
  try {
    const verifier = await importJWK(publicJwk, alg);
    await compactVerify(jws, verifier);
  } catch {
    throw keyError(
      `${source} is inconsistent: a signature made with its private part does not verify with its public part; its public members do not belong to its private ones`,
    );
  }
}

function defaultAlg(kty: string, crv?: string): SigningAlg {
  if (kty === "EC") return crv === "P-384" ? "ES384" : "ES256";
  return "RS256";
}

function checkFits(
  alg: SigningAlg,
  kty: string,
  crv: string | undefined,
  source: string,
): void {
  const needs = alg.startsWith("ES") ? "EC" : "RSA";
  if (kty !== needs) {
    throw keyError(`${source} is an ${kty} key; ${alg} needs an ${needs} key`);
  }
  const curve = alg === "ES256" ? "P-256" : alg === "ES384" ? "P-384" : crv;
  if (crv !== curve) {
    throw keyError(
      `${source} is on curve ${crv ?? "none"}; ${alg} needs ${curve}`,
    );
  }
}

function keyError(message: string): AuthError {
  return new AuthError("ERR_AUTH_KEY", message);
}

/** A new key pair for registration; see `deno task keys`. */
export interface GeneratedKeyPair {
  kid: string;
  alg: SigningAlg;
  /** Private JWK with `kid` and `alg`: keep it secret. */
  privateJwk: JWK;
  /** Public JWK with `kid`, `alg` and `use`: upload it (HelseID). */
  publicJwk: JWK;
  /** Public key as SPKI PEM (for a Helsenorge STS registration). */
  publicPem: string;
}

/**
 * Make a new key pair to register with HelseID or Helsenorge's STS. RSA
 * keys have 3072 bits.
 * @param alg @default "RS256"
 */
export async function generateSigningKeyPair(
  alg: SigningAlg = "RS256",
): Promise<GeneratedKeyPair> {
  const pair = await generateKeyPair(alg, {
    extractable: true,
    modulusLength: alg.startsWith("ES") ? undefined : 3072,
  });
  const privateJwk = await exportJWK(pair.privateKey);
  const publicJwk = await exportJWK(pair.publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return {
    kid,
    alg,
    privateJwk: { ...privateJwk, kid, alg, use: "sig" },
    publicJwk: { ...publicJwk, kid, alg, use: "sig" },
    publicPem: await exportSPKI(pair.publicKey),
  };
}
