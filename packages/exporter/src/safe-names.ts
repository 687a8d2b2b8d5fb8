/**
 * Makes a profile type usable in a file name and as a multipart attachment name: only letters,
 * digits, `.`, `_` and `-`, no leading dot (no hidden files, no `..`), at most 64 characters.
 */
export function safeName(type: string): string {
  const cleaned = type.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 64);
  return cleaned === '' ? 'profile' : cleaned;
}

/** Tag values inside a comma-separated `key:value` list must not contain commas or line breaks. */
export function safeTagValue(value: string): string {
  return value.replace(/[,\r\n]/g, '_');
}
