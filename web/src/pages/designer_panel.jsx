// Placeholder until this panel is built.
export function DesignerPanel() {
  return null;
}
