// The theme as a `data-theme` attribute on <html>: the user's choice, or the system's preference followed
// live. app.css keys every colour on that attribute, so there is one dark palette, not one per trigger.
import type { Theme } from "./ipc/backend";

let media: MediaQueryList | null = null;
let follow: (() => void) | null = null;

export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (media && follow) media.removeEventListener("change", follow);
  follow = null;
  if (theme !== "system") {
    root.dataset.theme = theme;
    return;
  }
  media = typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  const set = () => {
    root.dataset.theme = media?.matches ? "dark" : "light";
  };
  set();
  if (media) {
    follow = set;
    media.addEventListener("change", follow);
  }
}
