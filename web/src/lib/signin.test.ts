import { describe, expect, it } from "vitest";
import { checkPasswordSignIn, signInWithPassword, SIGNIN_PATH } from "./signin";

const answer = (status: number, body: unknown) =>
  (async (url: string, init: RequestInit) => {
    answer.last = { url, body: JSON.parse(String(init.body)) };
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  }) as unknown as typeof fetch;
answer.last = undefined as unknown as { url: string; body: unknown };

describe("password sign-in", () => {
  it("checks the form", () => {
    expect(checkPasswordSignIn({ account: "000000000000", userName: "alba", password: "x" })).toEqual({});
    expect(Object.keys(checkPasswordSignIn({ account: "123", userName: " ", password: "" })).sort()).toEqual(["account", "password", "userName"]);
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
