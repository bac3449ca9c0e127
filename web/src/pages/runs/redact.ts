/** Scrub anything that looks like a credential from text bound for a clipboard (the server
 * scrubs its part already; this is the second net). */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\brf_[A-Za-z0-9_-]{8,}/g, "rf_***REDACTED***"],
  [/\b(sk|pk|rk|key|fal|r8)[-_][A-Za-z0-9_-]{12,}/g, "***REDACTED***"],
  [/(Bearer|Basic|Key|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 ***REDACTED***"],
  [/((?:api[_-]?key|access[_-]?key|secret(?:[_-]?key)?|token|password|authorization|csrf|cookie|session)["']?\s*[:=]\s*["']?)[^\s"',&}]+/gi, "$1***REDACTED***"],
  [/([?&](?:sig|signature|token|key|X-Amz-Signature|X-Amz-Credential)=)[^&\s"]+/gi, "$1***REDACTED***"],
];

export function redact(text: string): string {
  return SECRET_PATTERNS.reduce((t, [re, to]) => t.replace(re, to), text);
}

