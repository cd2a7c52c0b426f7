import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import type { Backend } from "./lib/ipc/backend";
import { TauriBackend, inTauri } from "./lib/ipc/tauri";
import { MockBackend } from "./lib/ipc/mock";
import { applyTheme } from "./lib/theme";

// The system's theme from the first frame; the user's setting replaces it once read.
applyTheme("system");

// Outside the desktop app (a plain browser on `npm run dev`) there is no scanner: the mock answers every
// call with a clear "unavailable" error, so the layout can still be worked on.
const backend: Backend = inTauri() ? new TauriBackend() : new MockBackend();

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
export default mount(App, { target, props: { backend } });
