import { describe, expect, it } from "vitest";
import { checkRule, describeRule, isCidr, parsePorts, toPermission } from "./sgrules";

describe("security group rules", () => {
  it("takes a port or a range", () => {
    expect(parsePorts("8080")).toEqual([8080, 8080]);
    expect(parsePorts(" 8000 - 8100 ")).toEqual([8000, 8100]);
    expect(parsePorts("9000-8000")).toBeUndefined();
    expect(parsePorts("70000")).toBeUndefined();
    expect(parsePorts("http")).toBeUndefined();
  });

  it("knows a CIDR block", () => {
    expect(isCidr("10.0.0.0/16")).toBe(true);
    expect(isCidr("0.0.0.0/0")).toBe(true);
    expect(isCidr("10.0.0.256/16")).toBe(false);
    expect(isCidr("10.0.0.0/33")).toBe(false);
    expect(isCidr("10.0.0.0")).toBe(false);
  });

  it("makes the IpPermission of a typed rule", () => {
    expect(toPermission({ type: "http", ports: "", source: "10.0.0.0/16", description: "web" })).toEqual({
      IpProtocol: "tcp",
      FromPort: 80,
      ToPort: 80,
      IpRanges: [{ CidrIp: "10.0.0.0/16", Description: "web" }],
    });
    expect(toPermission({ type: "custom-tcp", ports: "5050", source: "sg-0abc", description: "" })).toEqual({
      IpProtocol: "tcp",
      FromPort: 5050,
      ToPort: 5050,
      UserIdGroupPairs: [{ GroupId: "sg-0abc", Description: undefined }],
    });
    expect(toPermission({ type: "all", ports: "", source: "0.0.0.0/0", description: "" })).toEqual({
      IpProtocol: "-1",
      IpRanges: [{ CidrIp: "0.0.0.0/0", Description: undefined }],
    });
  });

  it("says what is wrong with a draft", () => {
    expect(checkRule({ type: "custom-tcp", ports: "", source: "nowhere", description: "" })).toEqual({
      ports: expect.any(String),
      source: expect.any(String),
    });
    expect(checkRule({ type: "ssh", ports: "", source: "192.168.1.0/24", description: "" })).toEqual({});
  });

  it("names a rule as the console does", () => {
    expect(describeRule({ IpProtocol: "tcp", FromPort: 443, ToPort: 443, CidrIpv4: "0.0.0.0/0" })).toEqual({
      type: "HTTPS",
      protocol: "TCP",
      ports: "443",
      peer: "0.0.0.0/0",
    });
    expect(describeRule({ IpProtocol: "-1", FromPort: -1, ToPort: -1, CidrIpv4: "0.0.0.0/0" }).type).toBe("All traffic");
    expect(describeRule({ IpProtocol: "tcp", FromPort: 8000, ToPort: 8100, ReferencedGroupInfo: { GroupId: "sg-1" } })).toEqual({
      type: "Custom TCP",
      protocol: "TCP",
      ports: "8000 - 8100",
      peer: "sg-1",
    });
  });
});
