import { useState } from "react";
import Button from "@cloudscape-design/components/button";
import { ActionModal } from "./common";
import { InputField } from "./forms";
import { useBusy } from "../lib/actions";

// A create dialog whose only field is the new resource's name; Enter submits.
export function NameModal({ title, label, onClose, onSubmit }: { title: string; label: string; onClose: () => void; onSubmit: (name: string) => Promise<void> }) {
  const [name, setName] = useState("");
  const [busy, whileBusy] = useBusy();
  const submit = () => whileBusy(() => onSubmit(name));
  return (
    <ActionModal
      header={title}
      onClose={onClose}
      actions={
        <Button variant="primary" loading={busy} disabled={!name} onClick={() => void submit()}>
          Create
        </Button>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (name) void submit();
        }}
      >
        <InputField label={label} value={name} autoFocus onChange={setName} />
      </form>
    </ActionModal>
  );
}
