// Sign in with an access key: the keys are tried against STS GetCallerIdentity before they
// are kept (sessionStorage: this browser tab only).
import { useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { checkSignIn, REGIONS, Session } from "../lib/credentials";
import { makeClients } from "../lib/clients";
import { ApiError, describeError } from "../lib/errors";

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [accessKeyId, setAccessKeyId] = useState("");
  const [secretAccessKey, setSecretAccessKey] = useState("");
  const [sessionToken, setSessionToken] = useState("");
  const [region, setRegion] = useState("us-east-1");
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const errors = submitted ? checkSignIn({ accessKeyId, secretAccessKey, region }) : {};

  const submit = async () => {
    setSubmitted(true);
    const found = checkSignIn({ accessKeyId, secretAccessKey, region });
    if (Object.keys(found).length) return;
    const session: Session = {
      accessKeyId: accessKeyId.trim(),
      secretAccessKey,
      sessionToken: sessionToken.trim() || undefined,
      region,
    };
    setBusy(true);
    setError(undefined);
    try {
      await makeClients(session, window.location.origin).sts.send(new GetCallerIdentityCommand({}));
      onSignedIn(session);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const regionOption = (code: string) => {
    const r = REGIONS.find((x) => x.code === code);
    return { value: code, label: r ? r.name : code, description: code };
  };

  return (
    <Box padding={{ vertical: "xxxl", horizontal: "l" }}>
      <div style={{ maxWidth: 480, margin: "0 auto" }}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <Form
            header={<Header variant="h1" description="The AWS console for your own machines">Sign in to wharf</Header>}
            actions={
              <Button variant="primary" loading={busy} formAction="submit">
                Sign in
              </Button>
            }
          >
            <Container>
              <SpaceBetween size="l">
                {error && (
                  <Alert type="error" header={error.code}>
                    {error.message}
                  </Alert>
                )}
                <FormField label="Access key ID" errorText={errors.accessKeyId}>
                  <Input value={accessKeyId} onChange={(e) => setAccessKeyId(e.detail.value)} autoFocus controlId="access-key-id" />
                </FormField>
                <FormField label="Secret access key" errorText={errors.secretAccessKey}>
                  <Input type="password" value={secretAccessKey} onChange={(e) => setSecretAccessKey(e.detail.value)} controlId="secret-access-key" />
                </FormField>
                <FormField label="Session token" description="Only for temporary credentials from STS." secondaryControl={undefined}>
                  <Input type="password" value={sessionToken} onChange={(e) => setSessionToken(e.detail.value)} controlId="session-token" />
                </FormField>
                <FormField label="Region" errorText={errors.region}>
                  <Select
                    selectedOption={regionOption(region)}
                    options={REGIONS.map((r) => regionOption(r.code))}
                    onChange={(e) => setRegion(e.detail.selectedOption.value ?? "us-east-1")}
                    controlId="region"
                  />
                </FormField>
                <Box variant="small">
                  The keys are kept in this browser tab only. `make run` prints the access key of the
                  account root; the same keys are in the server's DATA/credentials file.
                </Box>
              </SpaceBetween>
            </Container>
          </Form>
        </form>
      </div>
    </Box>
  );
}
