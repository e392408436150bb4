// The pieces of the console's forms: the create wizards, the sign-in forms and the dialogs.
import { ReactNode } from "react";
import Button from "@cloudscape-design/components/button";
import Form from "@cloudscape-design/components/form";
import FormField, { type FormFieldProps } from "@cloudscape-design/components/form-field";
import Input, { type InputProps } from "@cloudscape-design/components/input";
import RadioGroup from "@cloudscape-design/components/radio-group";
import SpaceBetween from "@cloudscape-design/components/space-between";

// A form that Enter or its primary button submits: a real <form>, so that the browser's own
// submit (and a password manager) works; Cancel, when the form has one, leaves unsubmitted.
export function SubmitForm({
  submitLabel,
  busy,
  onSubmit,
  onCancel,
  header,
  errorText,
  children,
}: {
  submitLabel: string;
  busy: boolean;
  onSubmit: () => void;
  onCancel?: () => void;
  header?: ReactNode;
  errorText?: string;
  children: ReactNode;
}) {
  const submit = (
    <Button variant="primary" loading={busy} formAction="submit">
      {submitLabel}
    </Button>
  );
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <Form
        header={header}
        errorText={errorText}
        actions={
          onCancel ? (
            <SpaceBetween direction="horizontal" size="xs">
              <Button variant="link" formAction="none" onClick={onCancel}>
                Cancel
              </Button>
              {submit}
            </SpaceBetween>
          ) : (
            submit
          )
        }
      >
        {children}
      </Form>
    </form>
  );
}

// A text input under its label, with its hint and the error that the form's check found in it.
export function InputField({
  label,
  description,
  constraintText,
  errorText,
  onChange,
  ...input
}: Pick<FormFieldProps, "label" | "description" | "constraintText" | "errorText"> & Omit<InputProps, "onChange"> & { onChange: (value: string) => void }) {
  return (
    <FormField label={label} description={description} constraintText={constraintText} errorText={errorText}>
      <Input {...input} onChange={(e) => onChange(e.detail.value)} />
    </FormField>
  );
}

// One choice of a few, under its label (a launch type, a load balancer's scheme).
export function RadioField<T extends string>({ label, value, onChange, items }: { label: string; value: T; onChange: (value: T) => void; items: { value: T; label: string; description?: string }[] }) {
  return (
    <FormField label={label}>
      <RadioGroup value={value} onChange={(e) => onChange(e.detail.value as T)} items={items} />
    </FormField>
  );
}

// An option of a Select or Multiselect: its value, shown as itself unless a label is given.
export function selectOption(value: string, label?: string, description?: string) {
  return { value, label: label ?? value, description };
}
