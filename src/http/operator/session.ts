/**
 * People's logins: a session cookie signed with HMAC-SHA-256 (`hono/cookie`
 * signed cookies), HttpOnly, SameSite=Strict, Secure (and `__Host-`
 * prefixed) when the request came over https, ending after the session
 * time both in the browser (Max-Age) and here (the signed expiry). Each
 * session carries a random CSRF token that every form posts back.
 *
 * @module
 */

import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import { base64url } from "./password.ts";

const PLAIN_NAME = "medlemsbro-session";
const HOST_NAME = "__Host-medlemsbro-session";

/** What a session cookie holds (signed, not secret: no personal data). */
export interface Session {
  /** The user's name. */
  user: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
  /** The token forms post back (CSRF). */
  csrf: string;
}

/** Whether the request reached us over https (directly or via a proxy). */
export function overHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" ||
    c.req.header("x-forwarded-proto")?.split(",")[0].trim() === "https";
}

/** Start a session for `user`; sets the cookie and returns the session. */
export async function startSession(
  c: Context,
  user: string,
  options: { secret: string; ttlMs: number; now: Date },
): Promise<Session> {
  const { secret, ttlMs, now } = options;
  const session: Session = {
    user,
    expiresAt: +now + ttlMs,
    csrf: base64url(crypto.getRandomValues(new Uint8Array(18))),
  };
  const secure = overHttps(c);
  await setSignedCookie(
    c,
    secure ? HOST_NAME : PLAIN_NAME,
    base64url(new TextEncoder().encode(JSON.stringify(session))),
    secret,
    {
      path: "/",
      httpOnly: true,
      sameSite: "Strict",
      secure,
      maxAge: Math.floor(ttlMs / 1000),
    },
  );
  return session;
}

/** The request's session, if its cookie is signed by us and not expired. */
export async function readSession(
  c: Context,
  options: { secret: string; now: Date },
): Promise<Session | undefined> {
  const name = overHttps(c) ? HOST_NAME : PLAIN_NAME;
  const value = await getSignedCookie(c, options.secret, name);
  if (!value) return undefined;
  try {
    const binary = atob(value.replace(/-/g, "+").replace(/_/g, "/"));
    const json = new TextDecoder().decode(
      Uint8Array.from(binary, (ch) => ch.charCodeAt(0)),
    );
    const session = JSON.parse(json) as Session;
    if (
      typeof session.user !== "string" || typeof session.csrf !== "string" ||
      typeof session.expiresAt !== "number" ||
      session.expiresAt <= +options.now
    ) return undefined;
    return session;
  } catch {
    return undefined;
  }
}

/** End the session: the cookie is removed. */
export function endSession(c: Context): void {
  const secure = overHttps(c);
  deleteCookie(c, secure ? HOST_NAME : PLAIN_NAME, {
    path: "/",
    secure,
    httpOnly: true,
    sameSite: "Strict",
  });
}

/** Compare two tokens in constant time (for their length). */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
