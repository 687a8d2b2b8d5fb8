/** An error whose message is safe and useful to show the client, with the HTTP status to send. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}
