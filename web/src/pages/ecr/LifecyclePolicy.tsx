// A repository's lifecycle policy: the JSON rules, saved with PutLifecyclePolicy, and a
// preview of the images they would expire (StartLifecyclePolicyPreview, then
// GetLifecyclePolicyPreview until it is COMPLETE).
import { useEffect, useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Textarea from "@cloudscape-design/components/textarea";
import {
  DeleteLifecyclePolicyCommand,
  GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand,
  LifecyclePolicyPreviewResult,
  PutLifecyclePolicyCommand,
  StartLifecyclePolicyPreviewCommand,
} from "@aws-sdk/client-ecr";
import { useApp } from "../../lib/app-context";
import { formatTime } from "../../lib/status";
import { Empty } from "../../components/common";
import { ecrOf } from "../../lib/client-ecr";
import { useAction } from "../../lib/actions";

const EXAMPLE = JSON.stringify(
  {
    rules: [
      {
        rulePriority: 1,
        description: "Keep the last 10 images",
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 },
        action: { type: "expire" },
      },
    ],
  },
  null,
  2,
);

export function LifecyclePolicy({ repository }: { repository: string }) {
  const { clients, notify, notifyError } = useApp();
  const [text, setText] = useState("");
  const [saved, setSaved] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [preview, setPreview] = useState<LifecyclePolicyPreviewResult[] | undefined>();
  const [busy, run] = useAction();

  useEffect(() => {
    ecrOf(clients)
      .send(new GetLifecyclePolicyCommand({ repositoryName: repository }))
      .then((r) => {
        const pretty = JSON.stringify(JSON.parse(r.lifecyclePolicyText ?? "{}"), null, 2);
        setSaved(pretty);
        setText(pretty);
      })
      .catch((e) => {
        if (e?.name === "LifecyclePolicyNotFoundException") setText(EXAMPLE);
        else notifyError("The lifecycle policy could not be read", e);
      });
  }, [clients, repository, notifyError]);

  const check = (): boolean => {
    try {
      JSON.parse(text);
      setError(undefined);
      return true;
    } catch (e) {
      setError(`The JSON is not valid: ${(e as Error).message}`);
      return false;
    }
  };
  const save = async () => {
    if (!check()) return;
    await run("The lifecycle policy could not be saved", async () => {
      await ecrOf(clients).send(new PutLifecyclePolicyCommand({ repositoryName: repository, lifecyclePolicyText: text }));
      setSaved(text);
      notify({ type: "success", content: `The lifecycle policy of ${repository} has been saved.` });
    });
  };
  const remove = async () => {
    try {
      await ecrOf(clients).send(new DeleteLifecyclePolicyCommand({ repositoryName: repository }));
      setSaved(undefined);
      setText(EXAMPLE);
      notify({ type: "success", content: `The lifecycle policy of ${repository} has been deleted.` });
    } catch (e) {
      notifyError("The lifecycle policy could not be deleted", e);
    }
  };
  const runPreview = async () => {
    if (!check()) return;
    setPreview(undefined);
    await run("The lifecycle policy could not be previewed", async () => {
      await ecrOf(clients).send(new StartLifecyclePolicyPreviewCommand({ repositoryName: repository, lifecyclePolicyText: text }));
      for (let i = 0; i < 30; i++) {
        const r = await ecrOf(clients).send(new GetLifecyclePolicyPreviewCommand({ repositoryName: repository }));
        if (r.status !== "IN_PROGRESS") {
          if (r.status === "FAILED") throw Object.assign(new Error("The preview failed."), { name: "LifecyclePolicyPreviewFailed" });
          setPreview(r.previewResults ?? []);
          return;
        }
        await new Promise((done) => setTimeout(done, 1000));
      }
    });
  };

  return (
    <SpaceBetween size="l">
      <Container
        header={
          <Header
            variant="h2"
            description="Rules that expire images by age or count, in priority order."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button disabled={!saved} onClick={() => void remove()}>
                  Delete
                </Button>
                <Button loading={busy} onClick={() => void runPreview()}>
                  Test rules
                </Button>
                <Button variant="primary" loading={busy} onClick={() => void save()}>
                  Save
                </Button>
              </SpaceBetween>
            }
          >
            Lifecycle policy {saved ? "" : "(none saved)"}
          </Header>
        }
      >
        <FormField label="Lifecycle policy JSON" stretch errorText={error}>
          <Textarea value={text} rows={16} spellcheck={false} onChange={(e) => setText(e.detail.value)} controlId="lifecycle-policy" />
        </FormField>
      </Container>
      {preview && (
        <Table
          items={preview}
          trackBy="imageDigest"
          header={<Header counter={`(${preview.length})`} description="Images these rules would expire now.">Test results</Header>}
          empty={<Empty title="No image would expire" />}
          columnDefinitions={[
            { id: "tags", header: "Image tags", cell: (p) => (p.imageTags?.length ? p.imageTags.join(", ") : "<untagged>") },
            { id: "digest", header: "Digest", cell: (p) => <Box variant="code">{p.imageDigest}</Box> },
            { id: "pushed", header: "Pushed at", cell: (p) => formatTime(p.imagePushedAt) },
            { id: "rule", header: "Rule priority", cell: (p) => p.appliedRulePriority },
            { id: "action", header: "Action", cell: (p) => p.action?.type },
          ]}
        />
      )}
    </SpaceBetween>
  );
}
