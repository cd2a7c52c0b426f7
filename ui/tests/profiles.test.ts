// The user's own profiles in the Scan view: save the current command as a profile, pick it, delete it, import
// Zenmap's profile file. The backend is the in-memory mock, whose checks and messages follow
// src-tauri/src/profiles.rs (tested there and in src-tauri/tests/profiles.rs against the real scanner).
import { describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import ScanView from "../src/lib/components/ScanView.svelte";
import { MockBackend, type MockOptions } from "../src/lib/ipc/mock";
import { DEFAULT_SETTINGS, type ProfileImport, type Settings } from "../src/lib/ipc/backend";
import { Sessions } from "../src/lib/sessions.svelte";
import { PROFILES, profileArgs } from "../src/lib/profiles";
import { fakeParse } from "./helpers";

function setup(opts: MockOptions = {}, settings: Settings = { ...DEFAULT_SETTINGS }) {
  const backend = new MockBackend({ parse: fakeParse, ...opts });
  const user = userEvent.setup();
  render(ScanView, { props: { backend, sessions: new Sessions(), settings, debounceMs: 5 } });
  const select = screen.getByTestId("profile-select") as HTMLSelectElement;
  const command = screen.getByRole("textbox", { name: "Command" }) as HTMLInputElement;
  return { backend, user, select, command };
}

/** The option labels under one group of the picker. */
const group = (select: HTMLSelectElement, label: string) =>
  [...select.querySelectorAll(`optgroup[label="${label}"] option`)].map((o) => o.textContent);

describe("profiles of the user's own", () => {
  it("saves the command as a profile, lists it under My profiles, and applies it when picked", async () => {
    const { backend, user, select, command } = setup();
    expect(group(select, "Built-in")).toEqual(PROFILES.map((p) => p.name));
    expect(group(select, "My profiles")).toEqual([]);

    await user.clear(command);
    await user.type(command, `portolan -p 22,80 --script "default or safe" 127.0.0.1`);
    await user.click(screen.getByTestId("profile-save-open"));
    expect(screen.getByTestId("profile-args")).toHaveTextContent("-p 22,80 --script 'default or safe'");
    await user.type(screen.getByTestId("profile-name"), "  Web check ");
    await user.type(screen.getByTestId("profile-description"), "SSH and HTTP with safe scripts");
    await user.click(screen.getByTestId("profile-save"));

    await waitFor(() => expect(group(select, "My profiles")).toEqual(["Web check"]));
    expect(backend.profiles).toEqual([
      { id: "user-web-check", name: "Web check", description: "SSH and HTTP with safe scripts", args: "-p 22,80 --script 'default or safe'" },
    ]);
    expect(select.value).toBe("user-web-check");
    expect(screen.getByTestId("profile-summary")).toHaveTextContent("SSH and HTTP with safe scripts");
    expect(screen.getByTestId("profile-message")).toHaveTextContent("Saved the profile “Web check”.");
    expect(screen.queryByTestId("profile-save-form")).toBeNull();

    // Another profile, then back to ours: its options and the target make the command, as with built-ins.
    await user.selectOptions(select, "Quick scan");
    expect(command.value).toBe("portolan -T4 -F 127.0.0.1");
    await user.clear(screen.getByRole("textbox", { name: "Target" }));
    await user.type(screen.getByRole("textbox", { name: "Target" }), "198.18.0.7");
    await user.selectOptions(select, "Web check");
    expect(command.value).toBe("portolan -p 22,80 --script 'default or safe' 198.18.0.7");
    await waitFor(() => expect(backend.parseCalls.at(-1)).toEqual(["-p", "22,80", "--script", "default or safe", "198.18.0.7"]));
  });

  it("reads the profiles stored before, and a second save under the same name replaces the first", async () => {
    const { backend, user, select, command } = setup({
      profiles: [{ id: "user-mine", name: "Mine", description: "older", args: "-F" }],
    });
    await waitFor(() => expect(group(select, "My profiles")).toEqual(["Mine"]));
    await user.selectOptions(select, "Mine");
    expect(command.value).toBe("portolan -F 127.0.0.1");
    await user.clear(command);
    await user.type(command, "portolan -F -sV 127.0.0.1");
    await user.click(screen.getByTestId("profile-save-open"));
    // Opened on a profile of the user's, the form starts with its name and description.
    expect(screen.getByTestId("profile-name")).toHaveValue("Mine");
    expect(screen.getByTestId("profile-save-form")).toHaveTextContent("Replaces your profile “Mine”.");
    await user.click(screen.getByTestId("profile-save"));
    await waitFor(() => expect(backend.profiles).toEqual([{ id: "user-mine", name: "Mine", description: "older", args: "-F -sV" }]));
    expect(group(select, "My profiles")).toEqual(["Mine"]);
  });

  it("shows why a name is refused, in place, and stores nothing", async () => {
    const { backend, user } = setup();
    await user.click(screen.getByTestId("profile-save-open"));
    const error = screen.getByTestId("profile-error");
    expect(error).toBeEmptyDOMElement();
    await user.click(screen.getByTestId("profile-save"));
    expect(error).toHaveTextContent("A profile needs a name.");
    expect(screen.getByTestId("profile-name")).toHaveAttribute("aria-invalid", "true");

    await user.type(screen.getByTestId("profile-name"), "x".repeat(101));
    expect(error).toHaveTextContent("The name is 101 characters long; at most 100 are allowed.");
    await user.click(screen.getByTestId("profile-save"));
    expect(backend.profiles).toEqual([]);

    // What only the backend refuses shows in the same place, in its words.
    await user.clear(screen.getByTestId("profile-name"));
    await user.type(screen.getByTestId("profile-name"), "ok");
    await user.type(screen.getByTestId("profile-description"), "bell\u0007");
    await user.click(screen.getByTestId("profile-save"));
    await waitFor(() => expect(error).toHaveTextContent("the description contains a control character (U+0007) at character 5"));
    expect(screen.getByTestId("profile-name")).toHaveAttribute("aria-invalid", "false");
    expect(backend.profiles).toEqual([]);
    expect(screen.getByTestId("profile-save-form")).toBeInTheDocument();
  });

  it("deletes a profile only after the confirmation", async () => {
    const { backend, user, select, command } = setup({
      profiles: [
        { id: "user-a", name: "A", description: "", args: "-p 1" },
        { id: "user-b", name: "B", description: "", args: "-p 2" },
      ],
    });
    await waitFor(() => expect(group(select, "My profiles")).toEqual(["A", "B"]));
    expect(screen.queryByTestId("profile-delete")).toBeNull();
    await user.selectOptions(select, "B");
    await user.click(screen.getByTestId("profile-delete"));
    const dialog = screen.getByRole("alertdialog", { name: "Delete the profile" });
    expect(dialog).toHaveTextContent("Delete your profile “B”? This cannot be undone.");
    await user.click(within(dialog).getByTestId("profile-delete-cancel"));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(backend.profiles).toHaveLength(2);

    await user.click(screen.getByTestId("profile-delete"));
    await user.click(screen.getByTestId("profile-delete-confirm"));
    await waitFor(() => expect(group(select, "My profiles")).toEqual(["A"]));
    expect(backend.profiles.map((p) => p.id)).toEqual(["user-a"]);
    expect(select.value).toBe("regular");
    expect(command.value).toBe("portolan 127.0.0.1");
    expect(screen.getByTestId("profile-message")).toHaveTextContent("Deleted the profile “B”.");
  });

  it("imports Zenmap profiles and shows what was imported and what was skipped, and why", async () => {
    const result: ProfileImport = {
      path: "/home/me/.zenmap/scan_profile.usp",
      imported: [
        { profile: { id: "", name: "Web servers", description: "HTTP", args: "-p 80,443 -sV" }, problem: null, note: null },
        {
          profile: { id: "", name: "Aggressive", description: "", args: "-A --bogus-option" },
          problem: "portolan: unrecognized option '--bogus-option'",
          note: null,
        },
      ],
      skipped: [
        { name: "Quick scan", line: 12, reason: 'the same as the built-in profile "Quick scan"' },
        { name: "Broken", line: 20, reason: "the section has no 'command' key" },
      ],
    };
    const { backend, user, select, command } = setup({ importUsp: () => structuredClone(result) });
    await user.click(screen.getByTestId("profile-import"));
    const shown = await screen.findByTestId("profile-import-result");
    expect(shown).toHaveTextContent("Imported 2 profiles from /home/me/.zenmap/scan_profile.usp; skipped 2.");
    expect(within(shown).getByTestId("profile-imported")).toHaveTextContent(
      "Aggressive — the scanner refuses it: portolan: unrecognized option '--bogus-option'",
    );
    const skipped = [...within(shown).getByTestId("profile-skipped").querySelectorAll("li")].map((li) => li.textContent);
    expect(skipped).toEqual(['[Quick scan]: the same as the built-in profile "Quick scan"', "[Broken]: the section has no 'command' key"]);
    // The window sent the built-ins to compare against.
    expect(backend.importBuiltins[0]).toContainEqual({ name: "Quick scan", args: "-T4 -F" });

    await waitFor(() => expect(group(select, "My profiles")).toEqual(["Web servers", "Aggressive"]));
    // A profile the scanner refuses is kept; picking it shows the parser's message where every command's does.
    await user.selectOptions(select, "Aggressive");
    expect(command.value).toBe("portolan -A --bogus-option 127.0.0.1");
    expect(await screen.findByText("portolan: unrecognized option '--bogus-option'", { selector: ".bad" })).toBeInTheDocument();

    await user.click(within(shown).getByTestId("profile-import-close"));
    expect(screen.queryByTestId("profile-import-result")).toBeNull();
  });

  it("a cancelled import dialog changes nothing", async () => {
    const { backend, user } = setup({ importUsp: () => null });
    await user.click(screen.getByTestId("profile-import"));
    await waitFor(() => expect(backend.importBuiltins).toHaveLength(1));
    expect(screen.queryByTestId("profile-import-result")).toBeNull();
    expect(screen.queryByTestId("profile-message")).toBeNull();
  });
});

describe("profileArgs", () => {
  it("keeps the options, without program, targets or the --datadir the Settings added", () => {
    expect(profileArgs("portolan -F --datadir /usr/share/nmap 198.18.0.1 198.18.0.2", ["198.18.0.1", "198.18.0.2"], "/usr/share/nmap")).toEqual({
      ok: true,
      args: "-F",
    });
    // Targets not at the end, or a --datadir of the user's own, are options the user chose: kept.
    expect(profileArgs("portolan 127.0.0.1 -F --datadir /opt/x", ["127.0.0.1"], "/usr/share/nmap")).toEqual({
      ok: true,
      args: "127.0.0.1 -F --datadir /opt/x",
    });
    expect(profileArgs(`portolan --script "x`, [], null)).toEqual({
      ok: false,
      message: "The command line cannot be read: the quote (\") at character 19 is never closed.",
    });
  });
});

describe("the starting profile in Settings", () => {
  it("offers the user's own profiles beside the built-ins and saves one as the start", async () => {
    const { default: SettingsPanel } = await import("../src/lib/components/SettingsPanel.svelte");
    const backend = new MockBackend({
      profiles: [{ id: "user-lab", name: "Lab <check>", description: "", args: "-sT -p 22" }],
    });
    const user = userEvent.setup();
    let closed = false;
    render(SettingsPanel, { props: { backend, settings: { ...DEFAULT_SETTINGS }, onclose: () => (closed = true) } });
    const start = screen.getByRole("combobox", { name: "Starting profile" }) as HTMLSelectElement;
    await waitFor(() => expect(group(start, "My profiles")).toEqual(["Lab <check>"]));
    expect(group(start, "Built-in")).toEqual(PROFILES.map((p) => p.name));
    await user.selectOptions(start, "user-lab");
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    await waitFor(() => expect(closed).toBe(true));
    expect(backend.settings.default_profile).toBe("user-lab");
  });
});
