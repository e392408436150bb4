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

// An account is named by its 12-digit id or its alias (iam create-account-alias).
const ACCOUNT = /^(\d{12}|[a-z0-9]([a-z0-9-]{1,61})[a-z0-9])$/;

export function checkPasswordSignIn(s: PasswordSignIn): Partial<Record<keyof PasswordSignIn, string>> {
  const e: Partial<Record<keyof PasswordSignIn, string>> = {};
  if (!ACCOUNT.test(s.account.trim())) e.account = "Enter the 12-digit account ID or the account alias.";
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

// The password is right but must be changed first (reset required, or expired): `session`
// may only call iam:ChangePassword, for 15 minutes.
export class NewPasswordRequired extends SignInError {
  constructor(
    message: string,
    readonly session: Session,
  ) {
    super("PasswordResetRequired", message);
  }
}

// What the console asks of a new password before sending it (the account's policy decides).
export function checkNewPassword(newPassword: string, confirm: string): string | undefined {
  if (!newPassword) return "Enter a new password.";
  if (newPassword !== confirm) return "The passwords do not match.";
  return undefined;
}

// AWS's console's words when ChangePassword is refused.
export const CHANGE_REFUSED =
  "Either user is not authorized to perform iam:ChangePassword or entered password does not comply with account password policy set by administrator";

// Changes the password with the restricted session, then signs in with the new one.
export async function changePasswordThenSignIn(
  changePassword: (session: Session, oldPassword: string, newPassword: string) => Promise<void>,
  fetcher: typeof fetch,
  origin: string,
  s: PasswordSignIn,
  newPassword: string,
  restricted: Session,
  region: string,
): Promise<Session> {
  try {
    await changePassword(restricted, s.password, newPassword);
  } catch (e) {
    const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new SignInError("ChangePasswordFailed", `${CHANGE_REFUSED}. (${why})`);
  }
  return signInWithPassword(fetcher, origin, { ...s, password: newPassword }, region);
}

// The session for `region`, or SignInError with the endpoint's code and message
// (NewPasswordRequired when the password must be changed first).
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
  const valid = !!c && typeof c.AccessKeyId === "string" && typeof c.SecretAccessKey === "string";
  if (res.status === 403 && body.code === "PasswordResetRequired" && valid) {
    throw new NewPasswordRequired(body.message ?? "Choose a new password.", sessionOf(c!, region, body.userName));
  }
  if (!res.ok || !valid) {
    throw new SignInError(body.code ?? `HTTP ${res.status}`, body.message ?? `wharf answered ${res.status}.`);
  }
  return sessionOf(c!, region, body.userName);
}

function sessionOf(c: Record<string, unknown>, region: string, userName?: string): Session {
  return {
    accessKeyId: c.AccessKeyId as string,
    secretAccessKey: c.SecretAccessKey as string,
    sessionToken: typeof c.SessionToken === "string" ? c.SessionToken : undefined,
    region,
    userName,
    expiration: typeof c.Expiration === "number" ? c.Expiration * 1000 : undefined,
  };
}
