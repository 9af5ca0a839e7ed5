// A tiny observable value: components that read `.value` through useSignal
// re-render when it changes. (Enough state management for kho's pages.)
import { useEffect, useState } from 'preact/hooks';

export function signal(initial) {
  const subs = new Set();
  let v = initial;
  return {
    get value() {
      return v;
    },
    set value(next) {
      v = next;
      subs.forEach((fn) => fn(v));
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}

export function useSignal(s) {
  const [, set] = useState(0);
  useEffect(() => s.subscribe(() => set((n) => n + 1)), [s]);
  return s.value;
}
