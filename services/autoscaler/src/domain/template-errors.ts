/** EC2's refusals about launch templates, whose actions are EC2's. */
import { ApiError } from '@nimbus/service-kit';

export const templateErrors = {
  nameTaken: () =>
    new ApiError('InvalidLaunchTemplateName.AlreadyExistsException', 'Launch template name already in use.'),
  nameMalformed: () =>
    new ApiError(
      'InvalidLaunchTemplateName.MalformedException',
      'A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.',
    ),
  nameNotFound: (name: string) =>
    new ApiError(
      'InvalidLaunchTemplateName.NotFoundException',
      `The specified launch template, with template name ${name}, does not exist.`,
    ),
  idMalformed: (id: string) =>
    new ApiError(
      'InvalidLaunchTemplateId.Malformed',
      `The specified ID for the launch template (${id}) is not valid.`,
    ),
  idNotFound: (id: string) =>
    new ApiError(
      'InvalidLaunchTemplateId.NotFound',
      `The specified launch template, with template ID ${id}, does not exist.`,
    ),
  versionNotFound: (id: string, version: string) =>
    new ApiError(
      'InvalidLaunchTemplateId.VersionNotFound',
      `Could not find launch template version ${version} for the launch template with ID ${id}.`,
    ),
};

const namePattern = /^[a-zA-Z0-9().\-/_]{3,128}$/;

export function checkTemplateName(name: string): void {
  if (!namePattern.test(name)) throw templateErrors.nameMalformed();
}
