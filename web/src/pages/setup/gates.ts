/** The add-source form's client-side gates (the server checks them again). */

export const SHA256 = /^[0-9a-fA-F]{64}$/;

/** Why a file name is refused, or null: no folders, no "..", no hidden files. */
export function filenameProblem(name: string): string | null {
  if (!name) return null;
  if (/[/\\]/.test(name)) return "A file name only: no folders (/ or \\).";
  if (name.includes("..") || name.startsWith(".")) return "No “..” and no leading dot.";
  if (/[\u0000-\u001f]/.test(name)) return "No control characters.";
  return null;
}

export function urlProblem(url: string): string | null {
  if (!url) return null;
  return /^https?:\/\/[^\s]+$/i.test(url) ? null : "The address must start with http:// or https://.";
}
