import type { AttributeDefinition, AttributeValue } from '../directory/attributes.js';
import type { FlowInput } from '../directory/user-flows.js';

/**
 * Validates what a customer entered on the attribute collection page (or sent to the native API)
 * against the user flow's inputs: required, the validation regex, the options, the data type and the
 * attribute's length limit. Multi-select values are stored comma-joined, as Entra stores them.
 */
export type SubmittedValues = Record<string, string | string[] | undefined>;

export interface AttributeProblem {
  attribute: string;
  message: string;
}

export function validateAttributes(inputs: FlowInput[], definitions: Map<string, AttributeDefinition>, submitted: SubmittedValues,
  { requireAll }: { requireAll: boolean }): { values: Record<string, AttributeValue>; problems: AttributeProblem[] } {
  const values: Record<string, AttributeValue> = {};
  const problems: AttributeProblem[] = [];
  for (const input of inputs) {
    const raw = submitted[input.attribute];
    const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((v) => v.trim()).filter((v) => v !== '');
    const definition = definitions.get(input.attribute);
    const problem = (message: string) => problems.push({ attribute: input.attribute, message });

    if (input.inputType === 'boolean') {
      const on = list.some((v) => ['true', 'on', '1', 'yes'].includes(v.toLowerCase()));
      if (input.required && requireAll && !on) problem(`${input.label} must be checked.`);
      else if (raw !== undefined || input.required) values[input.attribute] = on;
      continue;
    }
    if (list.length === 0) {
      if (input.required && requireAll) problem(`${input.label} is required.`);
      continue;
    }
    const allowed = input.options?.map((o) => o.value);
    if (input.inputType === 'checkboxMultiSelect') {
      const picked = list.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
      if (allowed && picked.some((v) => !allowed.includes(v))) problem(`${input.label}: choose from the options shown.`);
      else values[input.attribute] = [...new Set(picked)].join(',');
      continue;
    }
    const value = list[0]!;
    if (list.length > 1) problem(`${input.label}: give one value.`);
    else if (input.inputType === 'radioSingleSelect' && allowed && !allowed.includes(value)) problem(`${input.label}: choose one of the options shown.`);
    else if (definition?.maxLength && value.length > definition.maxLength) problem(`${input.label} must be at most ${definition.maxLength} characters.`);
    else if (input.validationRegEx && !new RegExp(input.validationRegEx).test(value)) problem(`${input.label} is not in the expected format.`);
    else if (definition?.dataType === 'int64') {
      if (!/^-?\d{1,19}$/.test(value) || !Number.isSafeInteger(Number(value))) problem(`${input.label} must be a whole number.`);
      else values[input.attribute] = Number(value);
    } else values[input.attribute] = value;
  }
  return { values, problems };
}

/** The required inputs that have no value yet (native auth's `required_attributes`). */
export function missingRequired(inputs: FlowInput[], values: Record<string, AttributeValue>): FlowInput[] {
  return inputs.filter((i) => i.required && (values[i.attribute] === undefined || values[i.attribute] === '' || (i.inputType === 'boolean' && values[i.attribute] !== true)));
}
