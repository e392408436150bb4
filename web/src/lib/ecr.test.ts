import { describe, expect, it } from "vitest";
import { pushCommands } from "./ecr";

describe("pushCommands", () => {
  it("logs in to wharf's registry through its endpoint and pushes there", () => {
    const c = pushCommands("127.0.0.1:4566/team/alba-digi", "us-east-1", "http://127.0.0.1:4566").map((x) => x.command);
    expect(c[0]).toBe(
      "aws ecr get-login-password --region us-east-1 --endpoint-url http://127.0.0.1:4566 | docker login --username AWS --password-stdin 127.0.0.1:4566",
    );
    expect(c[1]).toBe("docker build -t alba-digi .");
    expect(c[2]).toBe("docker tag alba-digi:latest 127.0.0.1:4566/team/alba-digi:latest");
    expect(c[3]).toBe("docker push 127.0.0.1:4566/team/alba-digi:latest");
  });
});
