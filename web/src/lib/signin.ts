// Sign-in with an IAM user's name and password: wharf's sign-in endpoint checks the user's
// login profile and answers with temporary credentials (what sts:GetSessionToken gives that
// user); the console then signs every call with them, as it would with access keys.
// docs/ARCHITECTURE.md, "The web console", says why it is built this way.
import type { Session } from "./credentials";

export const SIGNIN_PATH = "/_wharf/signin";

export interface PasswordSignIn {
  account: string;
  userName: string;
  password: string;
}

export function checkPasswordSignIn(s: PasswordSignIn): Partial<Record<keyof PasswordSignIn, string>> {
  const e: Partial<Record<keyof PasswordSignIn, string>> = {};
  if (!/^\d{12}$/.test(s.account.trim())) e.account = "An account ID is 12 digits.";
  if (!s.userName.trim()) e.userName = "Enter your IAM user name.";
  if (!s.password) e.password = "Enter your password.";
  return e;
}

export class SignInError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

// The session for `region`, or SignInError with the endpoint's code and message.
export async function signInWithPassword(
  fetcher: typeof fetch,
  origin: string,
  s: PasswordSignIn,
  region: string,
): Promise<Session> {
  const res = await fetcher(`${origin}${SIGNIN_PATH}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ account: s.account.trim(), userName: s.userName.trim(), password: s.password }),
    cache: "no-store",
  });
  let body: { code?: string; message?: string; userName?: string; credentials?: Record<string, unknown> } = {};
  try {
    body = await res.json();
  } catch {
    // not JSON: reported below by status
  }
  const c = body.credentials;
  if (!res.ok || !c || typeof c.AccessKeyId !== "string" || typeof c.SecretAccessKey !== "string") {
    throw new SignInError(body.code ?? `HTTP ${res.status}`, body.message ?? `wharf answered ${res.status}.`);
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: typeof c.SessionToken === "string" ? c.SessionToken : undefined,
    region,
    userName: body.userName,
    expiration: typeof c.Expiration === "number" ? c.Expiration * 1000 : undefined,
  };
}
