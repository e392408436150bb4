// API errors as the console shows them: AWS's error code and message, as the service sent
// them (the SDK puts the code in `name`), or what went wrong on the way there.

export interface ApiError {
  code: string;
  message: string;
}

export function describeError(e: unknown): ApiError {
  if (e && typeof e === "object") {
    const o = e as { name?: unknown; Code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
    const code = typeof o.Code === "string" ? o.Code : typeof o.name === "string" ? o.name : "Error";
    let message = typeof o.message === "string" ? o.message : String(e);
    // A fetch that never reached wharf says only "Failed to fetch": say where it went.
    if (code === "TypeError" && /fetch/i.test(message)) {
      return { code: "NetworkError", message: `wharf did not answer (${message})` };
    }
    if (!message || message === "UnknownError") message = `HTTP ${o.$metadata?.httpStatusCode ?? "error"}`;
    return { code, message };
  }
  return { code: "Error", message: String(e) };
}

// Sign-in failures that mean the keys are wrong, not that the request was.
export function isCredentialError(e: ApiError): boolean {
  return [
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "MissingAuthenticationTokenException",
    "ExpiredTokenException",
    "ExpiredToken",
  ].includes(e.code);
}
