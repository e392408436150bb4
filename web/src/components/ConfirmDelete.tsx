import { ReactNode, useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useApp } from "../lib/app-context";
import { ActionModal } from "./common";
import { InputField } from "./forms";
import { useBusy } from "../lib/actions";

// As the AWS console does, a deletion is confirmed by typing.
export function ConfirmDeleteModal({
  title,
  what,
  phrase,
  onClose,
  onDelete,
  children,
}: {
  title: string;
  what: string;
  phrase: string;
  onClose: () => void;
  onDelete: () => Promise<void>;
  children?: ReactNode;
}) {
  const [typed, setTyped] = useState("");
  const [busy, whileBusy] = useBusy();
  return (
    <ActionModal
      header={title}
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} disabled={typed !== phrase} onClick={() => void whileBusy(onDelete)}>
          Delete
        </Button>
      }
    >
      <SpaceBetween size="m">
        <Box variant="span">
          Delete <b>{what}</b> permanently? This action cannot be undone.
        </Box>
        {children}
        <InputField label={`To confirm deletion, type "${phrase}" in the field.`} value={typed} onChange={setTyped} placeholder={phrase} controlId="confirm-delete" />
      </SpaceBetween>
    </ActionModal>
  );
}

// A list page's delete: confirm, call AWS, say in a flash what came of it, then close.
// The messages name the resource as "<kind> <name>" ("Log group app-logs has been deleted.").
export function DeleteResourceModal({
  title,
  kind,
  name,
  what = name,
  phrase = "delete",
  deletedMessage = `${kind} ${name} has been deleted.`,
  failedMessage = `${kind} ${name} could not be deleted`,
  onClose,
  onDelete,
  onDeleted,
  children,
}: {
  title: string; // "Delete log group"
  kind: string; // "Log group"
  name: string; // the resource's name or ID
  what?: string; // how the dialog names it, when not by name alone
  phrase?: string;
  deletedMessage?: string;
  failedMessage?: string;
  onClose: () => void;
  onDelete: () => Promise<unknown>; // the AWS call
  onDeleted: () => void; // clear the selection, reload the list
  children?: ReactNode;
}) {
  const { notify, notifyError } = useApp();
  return (
    <ConfirmDeleteModal
      title={title}
      what={what}
      phrase={phrase}
      onClose={onClose}
      onDelete={async () => {
        try {
          await onDelete();
          notify({ type: "success", content: deletedMessage });
          onDeleted();
        } catch (e) {
          notifyError(failedMessage, e);
        }
        onClose();
      }}
    >
      {children}
    </ConfirmDeleteModal>
  );
}
