// Sign in as an IAM user with a password (wharf's sign-in endpoint hands out temporary
// credentials for that user, lib/signin.ts), or with an access key, tried against STS
// GetCallerIdentity. Either way the keys are kept in sessionStorage (this browser tab only).
import { useEffect, useState } from "react";
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
import Tabs from "@cloudscape-design/components/tabs";
import { checkSignIn, REGIONS, Session } from "../lib/credentials";
import { makeClients } from "../lib/clients";
import { ApiError, describeError } from "../lib/errors";
import { checkPasswordSignIn, signInWithPassword } from "../lib/signin";

type Submit = (run: () => Promise<Session>) => Promise<void>;

export function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [region, setRegion] = useState("us-east-1");
  const [mode, setMode] = useState("iam-user");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();

  const submit: Submit = async (run) => {
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await run());
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
  const regionField = (
    <FormField label="Region">
      <Select
        selectedOption={regionOption(region)}
        options={REGIONS.map((r) => regionOption(r.code))}
        onChange={(e) => setRegion(e.detail.selectedOption.value ?? "us-east-1")}
        controlId="region"
      />
    </FormField>
  );

  return (
    <Box padding={{ vertical: "xxxl", horizontal: "l" }}>
      <div style={{ maxWidth: 480, margin: "0 auto" }}>
        <SpaceBetween size="l">
          <Header variant="h1" description="The AWS console for your own machines">
            Sign in to wharf
          </Header>
          {error && (
            <Alert type="error" header={error.code === "AuthenticationFailed" ? undefined : error.code}>
              {error.message}
            </Alert>
          )}
          <Container>
            <Tabs
              activeTabId={mode}
              onChange={(e) => {
                setMode(e.detail.activeTabId);
                setError(undefined);
              }}
              tabs={[
                { id: "iam-user", label: "IAM user", content: <PasswordForm busy={busy} submit={submit} region={region} regionField={regionField} /> },
                { id: "access-key", label: "Access key", content: <AccessKeyForm busy={busy} submit={submit} region={region} regionField={regionField} /> },
              ]}
            />
          </Container>
        </SpaceBetween>
      </div>
    </Box>
  );
}

interface FormProps {
  busy: boolean;
  submit: Submit;
  region: string;
  regionField: React.ReactNode;
}

function PasswordForm({ busy, submit, region, regionField }: FormProps) {
  const [account, setAccount] = useState("");
  const [userName, setUserName] = useState("");
  const [password, setPassword] = useState("");
  const [submitted, setSubmitted] = useState(false);
  // The account this wharf serves, as a convenience: /_wharf/health tells anyone.
  useEffect(() => {
    fetch("/_wharf/health")
      .then((r) => r.json())
      .then((h: { accountId?: string }) => setAccount((a) => a || h.accountId || ""))
      .catch(() => {});
  }, []);
  const errors = submitted ? checkPasswordSignIn({ account, userName, password }) : {};
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(true);
        if (Object.keys(checkPasswordSignIn({ account, userName, password })).length) return;
        void submit(() => signInWithPassword(fetch, window.location.origin, { account, userName, password }, region));
      }}
    >
      <Form
        actions={
          <Button variant="primary" loading={busy} formAction="submit">
            Sign in
          </Button>
        }
      >
        <SpaceBetween size="l">
          <FormField label="Account ID (12 digits)" errorText={errors.account}>
            <Input value={account} onChange={(e) => setAccount(e.detail.value)} controlId="account-id" inputMode="numeric" />
          </FormField>
          <FormField label="IAM user name" errorText={errors.userName}>
            <Input value={userName} onChange={(e) => setUserName(e.detail.value)} autoFocus controlId="iam-user-name" autoComplete="username" />
          </FormField>
          <FormField label="Password" errorText={errors.password}>
            <Input type="password" value={password} onChange={(e) => setPassword(e.detail.value)} controlId="password" autoComplete="current-password" />
          </FormField>
          {regionField}
          <Box variant="small">An IAM user signs in with the password of its login profile (aws iam create-login-profile).</Box>
        </SpaceBetween>
      </Form>
    </form>
  );
}

function AccessKeyForm({ busy, submit, region, regionField }: FormProps) {
  const [accessKeyId, setAccessKeyId] = useState("");
  const [secretAccessKey, setSecretAccessKey] = useState("");
  const [sessionToken, setSessionToken] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const errors = submitted ? checkSignIn({ accessKeyId, secretAccessKey, region }) : {};
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(true);
        if (Object.keys(checkSignIn({ accessKeyId, secretAccessKey, region })).length) return;
        const session: Session = { accessKeyId: accessKeyId.trim(), secretAccessKey, sessionToken: sessionToken.trim() || undefined, region };
        void submit(async () => {
          // STS's client is loaded only for this.
          const { STSClient, GetCallerIdentityCommand } = await import("@aws-sdk/client-sts");
          await new STSClient(makeClients(session, window.location.origin).config).send(new GetCallerIdentityCommand({}));
          return session;
        });
      }}
    >
      <Form
        actions={
          <Button variant="primary" loading={busy} formAction="submit">
            Sign in
          </Button>
        }
      >
        <SpaceBetween size="l">
          <FormField label="Access key ID" errorText={errors.accessKeyId}>
            <Input value={accessKeyId} onChange={(e) => setAccessKeyId(e.detail.value)} controlId="access-key-id" />
          </FormField>
          <FormField label="Secret access key" errorText={errors.secretAccessKey}>
            <Input type="password" value={secretAccessKey} onChange={(e) => setSecretAccessKey(e.detail.value)} controlId="secret-access-key" />
          </FormField>
          <FormField label="Session token" description="Only for temporary credentials from STS.">
            <Input type="password" value={sessionToken} onChange={(e) => setSessionToken(e.detail.value)} controlId="session-token" />
          </FormField>
          {regionField}
          <Box variant="small">
            `make run` prints the access key of the account root; the same keys are in the server's DATA/credentials file.
          </Box>
        </SpaceBetween>
      </Form>
    </form>
  );
}
