// A cluster's tasks one page at a time, as the AWS console's tasks tab shows them: ListTasks
// for one page of ARNs, DescribeTasks for just those. A cluster of 1,000 tasks then costs two
// calls and one page of rows, not ten sequential ListTasks, ten DescribeTasks and 1,000 rows.
import { DescribeTasksCommand, ListTasksCommand, type DesiredStatus, type ECSClient, type Task } from "@aws-sdk/client-ecs";

export interface TaskFilter {
  desiredStatus?: DesiredStatus;
  serviceName?: string;
}

export interface TaskPage {
  tasks: Task[];
  nextToken?: string;
}

type Send = Pick<ECSClient, "send">;

// One page: the ARNs ListTasks gives for `token`, described in ListTasks' order.
export async function loadTaskPage(ecs: Send, cluster: string, filter: TaskFilter, pageSize: number, token?: string): Promise<TaskPage> {
  const listed = await ecs.send(new ListTasksCommand({ cluster, ...filter, maxResults: pageSize, nextToken: token }));
  const arns = listed.taskArns ?? [];
  if (!arns.length) return { tasks: [], nextToken: listed.nextToken };
  const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }));
  const byArn = new Map((described.tasks ?? []).map((t) => [t.taskArn, t]));
  return { tasks: arns.flatMap((a) => byArn.get(a) ?? []), nextToken: listed.nextToken };
}

// The tokens that start each page (tokens[0] is the first page's: none), learnt as pages load.
// A jump past the pages seen walks ListTasks forward for the tokens, describing nothing.
export class PageTokens {
  private tokens: (string | undefined)[] = [undefined];
  private end: number | undefined; // the last page's number, once a page came without a next token

  // Page numbers are 1-based, as Cloudscape's pagination counts them.
  learn(page: number, nextToken: string | undefined): void {
    if (nextToken === undefined) {
      this.end = page;
      this.tokens.length = page;
    } else {
      this.tokens[page] = nextToken;
      if (this.end !== undefined && this.end <= page) this.end = undefined;
    }
  }

  known(page: number): boolean {
    return page - 1 < this.tokens.length && (page === 1 || this.tokens[page - 1] !== undefined);
  }

  token(page: number): string | undefined {
    return this.tokens[page - 1];
  }

  lastPage(): number | undefined {
    return this.end;
  }

  // The pages one can go to without a walk: those seen and the one after.
  reachable(): number {
    return this.end ?? this.tokens.length;
  }

  // The token of `page`, listing ARN pages forward from the last token known; undefined
  // `page` past the end: the last page there is, and its token.
  async walk(ecs: Send, cluster: string, filter: TaskFilter, pageSize: number, page: number): Promise<{ page: number; token?: string }> {
    let at = Math.min(page, this.tokens.length);
    while (at < page && this.end === undefined) {
      const r = await ecs.send(new ListTasksCommand({ cluster, ...filter, maxResults: pageSize, nextToken: this.tokens[at - 1] }));
      if (!r.nextToken) {
        this.learn(at, undefined);
        break;
      }
      this.learn(at, r.nextToken);
      at += 1;
    }
    if (this.end !== undefined) at = Math.min(at, this.end);
    return { page: at, token: this.tokens[at - 1] };
  }
}

// The table's counter: exact once the last page has been seen, else the cluster's own counts
// for running tasks (what the console's overview shows), else "at least".
export function taskCounter(page: number, pageSize: number, shown: number, lastPage: number | undefined, clusterCount: number | undefined): string {
  if (lastPage !== undefined && page === lastPage) return `(${(page - 1) * pageSize + shown})`;
  const seen = (page - 1) * pageSize + shown;
  if (clusterCount !== undefined && clusterCount >= seen) return `(${clusterCount})`;
  return `(${seen}+)`;
}
