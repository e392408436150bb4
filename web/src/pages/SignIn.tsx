// Sign in as an IAM user with a password (wharf's sign-in endpoint hands out temporary
// credentials for that user, lib/signin.ts), or with an access key, tried against STS
// GetCallerIdentity. Either way the keys are kept in sessionStorage (this browser tab only).
import { useEffect, useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Tabs from "@cloudscape-design/components/tabs";
import { checkSignIn, REGIONS, Session } from "../lib/credentials";
import { makeClients } from "../lib/clients";
import { ApiError, describeError } from "../lib/errors";
import {
  changePasswordThenSignIn,
  checkNewPassword,
  checkPasswordSignIn,
  NewPasswordRequired,
  signInWithPassword,
} from "../lib/signin";
import { InputField, SubmitForm } from "../components/forms";

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

// IAM's ChangePassword with the session that may do only that (IAM is signed for us-east-1).
async function changePassword(session: Session, oldPassword: string, newPassword: string) {
  const { IAMClient, ChangePasswordCommand } = await import("@aws-sdk/client-iam");
  const client = new IAMClient({ ...makeClients(session, window.location.origin).config, region: "us-east-1" });
  await client.send(new ChangePasswordCommand({ OldPassword: oldPassword, NewPassword: newPassword }));
}

function PasswordForm({ busy, submit, region, regionField }: FormProps) {
  const [account, setAccount] = useState("");
  const [userName, setUserName] = useState("");
  const [password, setPassword] = useState("");
  const [submitted, setSubmitted] = useState(false);
  // Set when the password is right but must be changed before signing in.
  const [reset, setReset] = useState<NewPasswordRequired | undefined>();
  const [newPassword, setNewPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  // The account this wharf serves, as a convenience: /_wharf/health tells anyone.
  useEffect(() => {
    fetch("/_wharf/health")
      .then((r) => r.json())
      .then((h: { accountId?: string }) => setAccount((a) => a || h.accountId || ""))
      .catch(() => {});
  }, []);
  const errors = submitted ? checkPasswordSignIn({ account, userName, password }) : {};
  if (reset) {
    const problem = submitted ? checkNewPassword(newPassword, confirm) : undefined;
    return (
      <SubmitForm
        submitLabel="Confirm password change"
        busy={busy}
        onSubmit={() => {
          setSubmitted(true);
          if (checkNewPassword(newPassword, confirm)) return;
          void submit(() =>
            changePasswordThenSignIn(changePassword, fetch, window.location.origin, { account, userName, password },
                                     newPassword, reset.session, region),
          );
        }}
        header={<Header variant="h2" description={reset.message}>Change password</Header>}
      >
        <SpaceBetween size="l">
          <InputField label="New password" errorText={problem} type="password" value={newPassword} onChange={setNewPassword} controlId="new-password" autoComplete="new-password" autoFocus />
          <InputField label="Retype new password" type="password" value={confirm} onChange={setConfirm} controlId="confirm-password" autoComplete="new-password" />
        </SpaceBetween>
      </SubmitForm>
    );
  }
  return (
    <SubmitForm
      submitLabel="Sign in"
      busy={busy}
      onSubmit={() => {
        setSubmitted(true);
        if (Object.keys(checkPasswordSignIn({ account, userName, password })).length) return;
        void submit(async () => {
          try {
            return await signInWithPassword(fetch, window.location.origin, { account, userName, password }, region);
          } catch (err) {
            if (err instanceof NewPasswordRequired) {
              setSubmitted(false);
              setReset(err);
            }
            throw err;
          }
        });
      }}
    >
      <SpaceBetween size="l">
        <InputField label="Account ID (12 digits) or account alias" errorText={errors.account} value={account} onChange={setAccount} controlId="account-id" />
        <InputField label="IAM user name" errorText={errors.userName} value={userName} onChange={setUserName} autoFocus controlId="iam-user-name" autoComplete="username" />
        <InputField label="Password" errorText={errors.password} type="password" value={password} onChange={setPassword} controlId="password" autoComplete="current-password" />
        {regionField}
        <Box variant="small">An IAM user signs in with the password of its login profile (aws iam create-login-profile).</Box>
      </SpaceBetween>
    </SubmitForm>
  );
}

function AccessKeyForm({ busy, submit, region, regionField }: FormProps) {
  const [accessKeyId, setAccessKeyId] = useState("");
  const [secretAccessKey, setSecretAccessKey] = useState("");
  const [sessionToken, setSessionToken] = useState("");
  const [submitted, setSubmitted] = useState(false);
  const errors = submitted ? checkSignIn({ accessKeyId, secretAccessKey, region }) : {};
  return (
    <SubmitForm
      submitLabel="Sign in"
      busy={busy}
      onSubmit={() => {
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
      <SpaceBetween size="l">
        <InputField label="Access key ID" errorText={errors.accessKeyId} value={accessKeyId} onChange={setAccessKeyId} controlId="access-key-id" />
        <InputField label="Secret access key" errorText={errors.secretAccessKey} type="password" value={secretAccessKey} onChange={setSecretAccessKey} controlId="secret-access-key" />
        <InputField label="Session token" description="Only for temporary credentials from STS." type="password" value={sessionToken} onChange={setSessionToken} controlId="session-token" />
        {regionField}
        <Box variant="small">
          `make run` prints the access key of the account root; the same keys are in the server's DATA/credentials file.
        </Box>
      </SpaceBetween>
    </SubmitForm>
  );
}
