import { UploadRejected } from '../common/errors/domain-errors';

/** One wording for a refused extension, whether multer or the service notices it. */
export function extensionRejected(extension: string, allowed: string[]): UploadRejected {
  return new UploadRejected(
    `Files of type '${extension || '(no extension)'}' are not accepted; allowed: ${allowed.join(', ')}`,
  );
}
