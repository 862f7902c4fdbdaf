⟨unusedImport⟩import fs from "fs";
import { join } from "path";

export function build(parts) {
  ⟨unusedVariable⟩const unused = 1 + 2;
  const kept = parts.length;
  let count = 0;
  count++;
  count++;
  let mode;
  mode = "fast";
  ⟨duplicate⟩mode = "fast";
  ⟨unusedVariable⟩const ignored = parts.pop();
  const result = join(...parts);
  if (kept > count) {
    return result;
    ⟨unreachable⟩console.log("never");
  }
  return result + mode;
}
