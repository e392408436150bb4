// A listener's rules: the rules in the order they are evaluated, add, edit (conditions,
// forward target group, priority) and delete. The default rule is the listener's default
// action, changed with the listener.
import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ModifyRuleCommand,
  Rule,
  SetRulePrioritiesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { useApp, usePolled } from "../../lib/app-context";
import { byPriority, checkListenerRule, draftOf, ListenerRuleDraft, NEW_LISTENER_RULE, suggestPriority, toActions, toConditions } from "../../lib/listener-rules";
import { ActionModal, counterOf, DetailHeader, DetailsPanel, Empty, LoadError } from "../../components/common";
import { DeleteResourceModal } from "../../components/ConfirmDelete";
import { describeAction, describeConditions } from "./describe-rules";
import { elbv2Of } from "../../lib/client-elbv2";
import { InputField } from "../../components/forms";
import { useAction } from "../../lib/actions";

export function ListenerDetail({ name, port }: { name: string; port: string }) {
  const { clients, notify } = useApp();
  const [selected, setSelected] = useState<Rule[]>([]);
  const [editing, setEditing] = useState<{ rule?: Rule; draft: ListenerRuleDraft } | undefined>();
  const [deleting, setDeleting] = useState<Rule | undefined>();
  const listener = usePolled(
    async () => {
      const lb = (await elbv2Of(clients).send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers?.[0];
      const ls = (await elbv2Of(clients).send(new DescribeListenersCommand({ LoadBalancerArn: lb?.LoadBalancerArn }))).Listeners ?? [];
      const l = ls.find((x) => String(x.Port) === port);
      if (!l) throw { name: "ListenerNotFound", message: `${name} has no listener on port ${port}.` };
      return l;
    },
    [clients, name, port],
    false,
  );
  const arn = listener.data?.ListenerArn;
  const rules = usePolled(async () => (arn ? byPriority((await elbv2Of(clients).send(new DescribeRulesCommand({ ListenerArn: arn }))).Rules ?? []) : undefined), [clients, arn]);
  const l = listener.data;
  const taken = (except?: Rule) => (rules.data ?? []).filter((r) => !r.IsDefault && r.RuleArn !== except?.RuleArn).map((r) => Number(r.Priority));
  const title = `${l?.Protocol ?? "HTTP"}:${port}`;

  return (
    <ContentLayout
      header={
        <DetailHeader
          crumbs={[
            ["Load balancers", { page: "load-balancers" }],
            [name, { page: "load-balancer", name }],
            [title, { page: "listener", name, port }],
          ]}
        >
          {`Listener ${title}`}
        </DetailHeader>
      }
    >
      <SpaceBetween size="l">
        <LoadError error={listener.error} what="the listener" />
        <DetailsPanel
          title="Listener details"
          columns={3}
          items={[
            ["Protocol:Port", title],
            ["Load balancer", name],
            ["Default action", (l?.DefaultActions ?? []).map(describeAction).join("; ")],
            ["ARN", l?.ListenerArn],
          ]}
        />
        <LoadError error={rules.error} what="the rules" />
        <Table
          loading={rules.loading && !rules.data}
          items={rules.data ?? []}
          trackBy="RuleArn"
          selectionType="single"
          selectedItems={selected}
          isItemDisabled={(r) => !!r.IsDefault}
          onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
          ariaLabels={{ itemSelectionLabel: (_, r) => `Rule ${r.Priority}`, selectionGroupLabel: "Listener rules", allItemsSelectionLabel: () => "all" }}
          header={
            <Header
              counter={counterOf(rules.data)}
              description="Rules are evaluated in priority order, lowest first; the default rule applies when no other does."
              actions={
                <SpaceBetween direction="horizontal" size="xs">
                  <Button iconName="refresh" ariaLabel="Refresh" onClick={rules.reload} />
                  <Button disabled={selected.length !== 1} onClick={() => setDeleting(selected[0])}>Delete rule</Button>
                  <Button
                    disabled={selected.length !== 1}
                    onClick={() => {
                      const draft = draftOf(selected[0]);
                      if (draft) setEditing({ rule: selected[0], draft });
                      else notify({ type: "warning", content: "This rule has conditions or actions this form does not edit; change it with the API or the CLI." });
                    }}
                  >
                    Edit rule
                  </Button>
                  <Button variant="primary" disabled={!arn} onClick={() => setEditing({ draft: { ...NEW_LISTENER_RULE, priority: suggestPriority(rules.data ?? []) } })}>
                    Add rule
                  </Button>
                </SpaceBetween>
              }
            >
              Listener rules
            </Header>
          }
          empty={<Empty title="No rules" />}
          columnDefinitions={[
            { id: "priority", header: "Priority", cell: (r) => (r.IsDefault ? "Default" : r.Priority) },
            { id: "conditions", header: "Conditions (If)", cell: (r) => describeConditions(r) },
            { id: "actions", header: "Actions (Then)", cell: (r) => (r.Actions ?? []).map(describeAction).join("; ") },
            { id: "arn", header: "Rule ARN", cell: (r) => <Box variant="small">{r.RuleArn}</Box> },
          ]}
        />
      </SpaceBetween>
      {editing && arn && (
        <RuleModal
          listenerArn={arn}
          rule={editing.rule}
          initial={editing.draft}
          taken={taken(editing.rule)}
          onClose={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            setSelected([]);
            rules.reload();
          }}
        />
      )}
      {deleting && (
        <DeleteResourceModal
          title="Delete rule"
          kind="Rule"
          name={deleting.Priority ?? ""}
          what={`the rule of priority ${deleting.Priority}`}
          phrase="confirm"
          deletedMessage={`The rule of priority ${deleting.Priority} has been deleted.`}
          failedMessage="The rule could not be deleted"
          onClose={() => setDeleting(undefined)}
          onDelete={() => elbv2Of(clients).send(new DeleteRuleCommand({ RuleArn: deleting.RuleArn }))}
          onDeleted={() => {
            setSelected([]);
            rules.reload();
          }}
        />
      )}
    </ContentLayout>
  );
}

function RuleModal({
  listenerArn,
  rule,
  initial,
  taken,
  onClose,
  onSaved,
}: {
  listenerArn: string;
  rule?: Rule;
  initial: ListenerRuleDraft;
  taken: number[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const { clients, notify } = useApp();
  const [d, setD] = useState(initial);
  const [submitted, setSubmitted] = useState(false);
  const [busy, run] = useAction();
  const groups = usePolled(async () => (await elbv2Of(clients).send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [], [clients], false);
  const errors = submitted ? checkListenerRule(d, taken) : {};

  const save = async () => {
    setSubmitted(true);
    if (Object.keys(checkListenerRule(d, taken)).length) return;
    await run(rule ? "The rule could not be updated" : "The rule could not be added", async () => {
      if (rule) {
        await elbv2Of(clients).send(new ModifyRuleCommand({ RuleArn: rule.RuleArn, Conditions: toConditions(d), Actions: toActions(d) }));
        if (rule.Priority !== d.priority.trim()) {
          await elbv2Of(clients).send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: rule.RuleArn, Priority: Number(d.priority) }] }));
        }
        notify({ type: "success", content: `The rule of priority ${d.priority} has been updated.` });
      } else {
        await elbv2Of(clients).send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: Number(d.priority), Conditions: toConditions(d), Actions: toActions(d) }));
        notify({ type: "success", content: `A rule of priority ${d.priority} has been added.` });
      }
      onSaved();
    });
  };

  const tgName = (arn: string) => groups.data?.find((g) => g.TargetGroupArn === arn)?.TargetGroupName ?? arn;
  return (
    <ActionModal
      header={rule ? `Edit rule (priority ${rule.Priority})` : "Add rule"}
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} onClick={() => void save()}>{rule ? "Save changes" : "Add rule"}</Button>
      }
    >
      <SpaceBetween size="l">
        <InputField label="Priority" description="1 to 50000; lower is evaluated first." errorText={errors.priority} value={d.priority} inputMode="numeric" onChange={(entered) => setD({ ...d, priority: entered })} controlId="rule-priority" />
        <InputField label="Path is" description="Path patterns, comma-separated: /api/*, /health" errorText={errors.paths ?? errors.conditions} value={d.paths} onChange={(entered) => setD({ ...d, paths: entered })} controlId="rule-paths" />
        <InputField label="Host header is" description="Host names, comma-separated: api.example.com, *.example.org" errorText={errors.hosts} value={d.hosts} onChange={(entered) => setD({ ...d, hosts: entered })} controlId="rule-hosts" />
        <FormField label="Forward to target group" errorText={errors.targetGroup}>
          <Select
            selectedOption={d.targetGroupArn ? { value: d.targetGroupArn, label: tgName(d.targetGroupArn) } : null}
            options={(groups.data ?? []).map((g) => ({ value: g.TargetGroupArn ?? "", label: g.TargetGroupName, description: `${g.Protocol}:${g.Port}` }))}
            onChange={(e) => setD({ ...d, targetGroupArn: e.detail.selectedOption.value ?? "" })}
            placeholder="Choose a target group"
            ariaLabel="Forward to target group"
            controlId="rule-target-group"
          />
        </FormField>
      </SpaceBetween>
    </ActionModal>
  );
}
