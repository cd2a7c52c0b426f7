export type * from "./bindings";
export * from "./backend";
