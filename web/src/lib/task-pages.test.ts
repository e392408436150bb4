import { describe, expect, it } from "vitest";
import { DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { loadTaskPage, PageTokens, taskCounter } from "./task-pages";

// A cluster of `count` tasks t000.. behind ListTasks (tokens are the next index) and DescribeTasks.
function fakeEcs(count: number) {
  const calls: string[] = [];
  const arns = Array.from({ length: count }, (_, i) => `arn:aws:ecs:us-east-1:000000000000:task/c/t${String(i).padStart(3, "0")}`);
  return {
    calls,
    send: async (command: unknown) => {
      if (command instanceof ListTasksCommand) {
        const start = Number(command.input.nextToken ?? 0);
        const end = start + (command.input.maxResults ?? 100);
        calls.push(`list ${start}`);
        return { taskArns: arns.slice(start, end), nextToken: end < count ? String(end) : undefined };
      }
      if (command instanceof DescribeTasksCommand) {
        calls.push(`describe ${command.input.tasks?.length}`);
        // In another order than asked, as DescribeTasks may answer.
        return { tasks: [...(command.input.tasks ?? [])].reverse().map((taskArn) => ({ taskArn })) };
      }
      throw new Error("unexpected command");
    },
  } as unknown as { calls: string[]; send: never };
}

describe("task pages", () => {
  it("lists and describes one page only, in ListTasks' order", async () => {
    const ecs = fakeEcs(1000);
    const page = await loadTaskPage(ecs, "c", { desiredStatus: "RUNNING" }, 10);
    expect(page.tasks.map((t) => t.taskArn?.slice(-4))).toEqual(["t000", "t001", "t002", "t003", "t004", "t005", "t006", "t007", "t008", "t009"]);
    expect(page.nextToken).toBe("10");
    expect(ecs.calls).toEqual(["list 0", "describe 10"]);
  });

  it("walks ListTasks forward for a page not yet seen, describing nothing", async () => {
    const ecs = fakeEcs(45);
    const tokens = new PageTokens();
    tokens.learn(1, "10");
    expect(tokens.known(2)).toBe(true);
    expect(tokens.known(4)).toBe(false);
    expect(await tokens.walk(ecs, "c", {}, 10, 4)).toEqual({ page: 4, token: "30" });
    expect(ecs.calls).toEqual(["list 10", "list 20"]);
    // Past the end: the last page there is.
    expect(await tokens.walk(ecs, "c", {}, 10, 9)).toEqual({ page: 5, token: "40" });
    expect(tokens.lastPage()).toBe(5);
  });

  it("counts exactly on the last page, else by the cluster's counts, else at least", () => {
    expect(taskCounter(3, 10, 4, 3, 1000)).toBe("(24)");
    expect(taskCounter(1, 10, 10, undefined, 1000)).toBe("(1000)");
    expect(taskCounter(2, 10, 10, undefined, undefined)).toBe("(20+)");
  });
});
