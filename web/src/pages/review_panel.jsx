// Placeholder until this panel is built.
export function ReviewPanel() {
  return null;
}
