/** The values RegisterImage accepts for an image's descriptive attributes. */
import { ImageError, ImageErrorCode } from './image-errors.js';

const architectures = new Set(['x86_64', 'arm64', 'i386', 'x86_64_mac', 'arm64_mac']);
const bootModes = new Set(['legacy-bios', 'uefi', 'uefi-preference']);

/** User data has 16 KiB; a boot command is a line to run, kept to the same bound. */
const maxBootCommandLength = 16_384;

function invalid(parameter: string, value: string, expected: string): ImageError {
  return new ImageError(
    ImageErrorCode.InvalidParameterValue,
    `Value (${value}) for parameter ${parameter} is invalid. Expected ${expected}.`,
  );
}

export function architectureOf(value: string): string {
  if (value === '') return 'x86_64';
  if (!architectures.has(value)) throw invalid('architecture', value, [...architectures].join(', '));
  return value;
}

export function virtualizationTypeOf(value: string): string {
  if (value === '' || value === 'hvm') return 'hvm';
  throw invalid('virtualizationType', value, "'hvm' (Nimbus runs no paravirtual images)");
}

export function bootModeOf(value: string): string {
  if (value !== '' && !bootModes.has(value)) throw invalid('bootMode', value, [...bootModes].join(', '));
  return value;
}

export function checkBootCommand(command: string): void {
  if (command.length > maxBootCommandLength) {
    throw new ImageError(
      ImageErrorCode.InvalidParameterValue,
      `The boot command is limited to ${maxBootCommandLength} characters.`,
    );
  }
  if (command.includes('\0')) {
    throw new ImageError(
      ImageErrorCode.InvalidParameterValue,
      'The boot command cannot contain NUL characters.',
    );
  }
}
