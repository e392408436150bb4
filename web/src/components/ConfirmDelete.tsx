import { ReactNode, useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";

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
  const [busy, setBusy] = useState(false);
  return (
    <Modal
      visible
      onDismiss={onClose}
      header={title}
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={onClose}>
              Cancel
            </Button>
            <Button
              variant="primary"
              loading={busy}
              disabled={typed !== phrase}
              onClick={async () => {
                setBusy(true);
                await onDelete();
                setBusy(false);
              }}
            >
              Delete
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      <SpaceBetween size="m">
        <Box variant="span">
          Delete <b>{what}</b> permanently? This action cannot be undone.
        </Box>
        {children}
        <FormField label={`To confirm deletion, type "${phrase}" in the field.`}>
          <Input value={typed} onChange={(e) => setTyped(e.detail.value)} placeholder={phrase} controlId="confirm-delete" />
        </FormField>
      </SpaceBetween>
    </Modal>
  );
}

