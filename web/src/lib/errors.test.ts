import { describe, expect, it } from "vitest";
import { describeError, isCredentialError } from "./errors";

describe("describeError", () => {
  it("shows the service's code and message", () => {
    const e = Object.assign(new Error("Cluster not found."), { name: "ClusterNotFoundException" });
    expect(describeError(e)).toEqual({ code: "ClusterNotFoundException", message: "Cluster not found." });
  });

  it("prefers a Query protocol's Code", () => {
    expect(describeError({ name: "Unknown", Code: "DuplicateLoadBalancerName", message: "exists" })).toEqual({
      code: "DuplicateLoadBalancerName",
      message: "exists",
    });
  });

  it("names a request that never reached wharf", () => {
    expect(describeError(new TypeError("Failed to fetch")).code).toBe("NetworkError");
  });

  it("tells bad keys from bad requests", () => {
    expect(isCredentialError({ code: "UnrecognizedClientException", message: "" })).toBe(true);
    expect(isCredentialError({ code: "InvalidParameterException", message: "" })).toBe(false);
  });
});
