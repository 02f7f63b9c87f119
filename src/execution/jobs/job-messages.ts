/** The error messages a job ends with when it did not run to its end (JobRecord.errorMessage). */
export const JOB_MESSAGES = {
  sessionEnded: 'cancelled: the session ended',
  shuttingDown: 'cancelled: the server is shutting down',
  internalError: 'the job could not be run because of an internal error',
} as const;
