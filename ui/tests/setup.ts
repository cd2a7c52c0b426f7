import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/svelte";
import { afterEach } from "vitest";

afterEach(() => cleanup());

// jsdom has no layout, so no ResizeObserver; Svelte's bind:clientHeight needs the constructor. Elements
// measure 0 here and the virtual list falls back to its default height.
if (!("ResizeObserver" in globalThis)) {
  globalThis.ResizeObserver = class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
}
