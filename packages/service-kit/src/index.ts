export {
  assembleService,
  dryRunOperation,
  notYetAvailable,
  toDomainError,
  translatingErrors,
} from './api-edge.js';
export { ApiError, invalidParameterCombination, invalidParameterValue, isApiError } from './api-error.js';
export { argumentsDigest, type ClientTokens, checkClientToken, createClientTokens } from './client-tokens.js';
export {
  compileFilters,
  type FilterFields,
  type FilterFieldValue,
  type FilterInput,
  type FilterOptions,
  type FilterTag,
  matchesFilters,
  wildcardPattern,
} from './filters.js';
export { isId, newId } from './ids.js';
export {
  checkIdsWithoutMaxResults,
  decodeNextToken,
  encodeNextToken,
  type MaxResultsRange,
  type Page,
  pageOf,
  resolveMaxResults,
} from './pagination.js';
export { createRecords, type Records, type Stored } from './records.js';
export { type StoredTag, tagsFor, toTags } from './tags.js';
export { codeOf, errorCode, refusal } from './testing.js';
