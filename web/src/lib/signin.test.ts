import { describe, expect, it } from "vitest";
import {
  CHANGE_REFUSED,
  changePasswordThenSignIn,
  checkNewPassword,
  checkPasswordSignIn,
  NewPasswordRequired,
  signInWithPassword,
  SIGNIN_PATH,
} from "./signin";

const answer = (status: number, body: unknown) =>
  (async (url: string, init: RequestInit) => {
    answer.last = { url, body: JSON.parse(String(init.body)) };
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  }) as unknown as typeof fetch;
answer.last = undefined as unknown as { url: string; body: unknown };

describe("password sign-in", () => {
  it("checks the form", () => {
    expect(checkPasswordSignIn({ account: "000000000000", userName: "alba", password: "x" })).toEqual({});
    expect(Object.keys(checkPasswordSignIn({ account: "12", userName: " ", password: "" })).sort()).toEqual(["account", "password", "userName"]);
    expect(checkPasswordSignIn({ account: "my-team", userName: "alba", password: "x" })).toEqual({});
    expect(Object.keys(checkPasswordSignIn({ account: "-team", userName: "alba", password: "x" }))).toEqual(["account"]);
    expect(Object.keys(checkPasswordSignIn({ account: "My-Team", userName: "alba", password: "x" }))).toEqual(["account"]);
  });

  it("hands back the restricted session when a new password is required", async () => {
    const err = await signInWithPassword(
      answer(403, { code: "PasswordResetRequired", message: "You must change your password to sign in.", userName: "alba",
                    credentials: { AccessKeyId: "ASIARESET", SecretAccessKey: "s", SessionToken: "t", Expiration: 5 } }),
      "", { account: "000000000000", userName: "alba", password: "old" }, "us-east-1",
    ).catch((e) => e);
    expect(err).toBeInstanceOf(NewPasswordRequired);
    expect(err.message).toBe("You must change your password to sign in.");
    expect(err.session).toMatchObject({ accessKeyId: "ASIARESET", sessionToken: "t", userName: "alba", expiration: 5000 });
  });

  it("changes the password with that session, then signs in with the new one", async () => {
    const calls: unknown[] = [];
    const restricted = { accessKeyId: "ASIARESET", secretAccessKey: "s", region: "us-east-1" };
    const s = await changePasswordThenSignIn(
      async (session, oldPassword, newPassword) => void calls.push([session.accessKeyId, oldPassword, newPassword]),
      answer(200, { userName: "alba", credentials: { AccessKeyId: "ASIANEW", SecretAccessKey: "s2" } }),
      "", { account: "000000000000", userName: "alba", password: "old" }, "New-pass-1", restricted, "us-east-1",
    );
    expect(calls).toEqual([["ASIARESET", "old", "New-pass-1"]]);
    expect((answer.last.body as { password: string }).password).toBe("New-pass-1");
    expect(s.accessKeyId).toBe("ASIANEW");
    const refused = await changePasswordThenSignIn(
      async () => { throw Object.assign(new Error("Password does not conform to the account password policy."), { name: "PasswordPolicyViolation" }); },
      answer(200, {}), "", { account: "000000000000", userName: "alba", password: "old" }, "x", restricted, "us-east-1",
    ).catch((e) => e);
    expect(refused.name).toBe("ChangePasswordFailed");
    expect(refused.message).toContain(CHANGE_REFUSED);
    expect(refused.message).toContain("PasswordPolicyViolation");
  });

  it("checks the new password's two fields", () => {
    expect(checkNewPassword("", "")).toBe("Enter a new password.");
    expect(checkNewPassword("a", "b")).toBe("The passwords do not match.");
    expect(checkNewPassword("same", "same")).toBeUndefined();
  });

  it("turns the endpoint's answer into a session", async () => {
    const s = await signInWithPassword(
      answer(200, { userName: "alba", credentials: { AccessKeyId: "ASIAEXAMPLE", SecretAccessKey: "s", SessionToken: "t", Expiration: 1000 } }),
      "http://127.0.0.1:4566",
      { account: " 000000000000 ", userName: "alba", password: "pw" },
      "eu-west-1",
    );
    expect(answer.last).toEqual({ url: `http://127.0.0.1:4566${SIGNIN_PATH}`, body: { account: "000000000000", userName: "alba", password: "pw" } });
    expect(s).toEqual({ accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s", sessionToken: "t", region: "eu-west-1", userName: "alba", expiration: 1_000_000 });
  });

  it("reports a refusal with its code and message", async () => {
    const refusal = { code: "AuthenticationFailed", message: "Your authentication information is incorrect. Please try again." };
    await expect(signInWithPassword(answer(401, refusal), "", { account: "000000000000", userName: "a", password: "b" }, "us-east-1")).rejects.toMatchObject({
      name: "AuthenticationFailed",
      message: refusal.message,
    });
  });
});
