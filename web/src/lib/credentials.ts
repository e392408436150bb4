// The signed-in identity, kept in sessionStorage only: it is gone when the browser tab
// closes, and never written to localStorage or a cookie.

export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  userName?: string; // signed in with a password: the IAM user
  expiration?: number; // ms since the epoch, for temporary credentials that say
}

const KEY = "wharf.console.session";

export function loadSession(storage: Pick<Storage, "getItem">): Session | undefined {
  const raw = storage.getItem(KEY);
  if (!raw) return undefined;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.accessKeyId !== "string" || typeof s.secretAccessKey !== "string" || typeof s.region !== "string") {
      return undefined;
    }
    if (!s.accessKeyId || !s.secretAccessKey || !s.region) return undefined;
    // Expired credentials sign nothing: the console asks to sign in again.
    if (typeof s.expiration === "number" && s.expiration <= Date.now()) return undefined;
    return {
      accessKeyId: s.accessKeyId,
      secretAccessKey: s.secretAccessKey,
      sessionToken: typeof s.sessionToken === "string" && s.sessionToken ? s.sessionToken : undefined,
      region: s.region,
      userName: typeof s.userName === "string" && s.userName ? s.userName : undefined,
      expiration: typeof s.expiration === "number" ? s.expiration : undefined,
    };
  } catch {
    return undefined;
  }
}

export function saveSession(storage: Pick<Storage, "setItem">, s: Session): void {
  storage.setItem(KEY, JSON.stringify(s));
}

export function clearSession(storage: Pick<Storage, "removeItem">): void {
  storage.removeItem(KEY);
}

// What the sign-in form checks before it tries the keys against the API.
export function checkSignIn(s: { accessKeyId: string; secretAccessKey: string; region: string }): {
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
} {
  const errors: { accessKeyId?: string; secretAccessKey?: string; region?: string } = {};
  if (!s.accessKeyId.trim()) errors.accessKeyId = "Enter an access key ID.";
  else if (!/^[A-Z0-9]{16,128}$/.test(s.accessKeyId.trim())) errors.accessKeyId = "An access key ID has 16 to 128 capital letters and digits.";
  if (!s.secretAccessKey) errors.secretAccessKey = "Enter the secret access key.";
  if (!s.region) errors.region = "Choose a Region.";
  return errors;
}

// The region picker: the commercial regions people use most, all served by wharf (model/regions.h).
export const REGIONS: { code: string; name: string }[] = [
  { code: "us-east-1", name: "US East (N. Virginia)" },
  { code: "us-east-2", name: "US East (Ohio)" },
  { code: "us-west-1", name: "US West (N. California)" },
  { code: "us-west-2", name: "US West (Oregon)" },
  { code: "ca-central-1", name: "Canada (Central)" },
  { code: "eu-west-1", name: "Europe (Ireland)" },
  { code: "eu-west-2", name: "Europe (London)" },
  { code: "eu-west-3", name: "Europe (Paris)" },
  { code: "eu-central-1", name: "Europe (Frankfurt)" },
  { code: "eu-north-1", name: "Europe (Stockholm)" },
  { code: "eu-south-1", name: "Europe (Milan)" },
  { code: "ap-northeast-1", name: "Asia Pacific (Tokyo)" },
  { code: "ap-northeast-2", name: "Asia Pacific (Seoul)" },
  { code: "ap-southeast-1", name: "Asia Pacific (Singapore)" },
  { code: "ap-southeast-2", name: "Asia Pacific (Sydney)" },
  { code: "ap-south-1", name: "Asia Pacific (Mumbai)" },
  { code: "sa-east-1", name: "South America (São Paulo)" },
];
