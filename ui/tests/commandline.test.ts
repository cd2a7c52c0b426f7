import { describe, expect, it } from "vitest";
import { joinCommandLine, scannerArgs, splitCommandLine, toConnectScan } from "../src/lib/commandline";
import { PROFILES, profileCommand } from "../src/lib/profiles";

describe("command lines", () => {
  it("splits like a shell without running one", () => {
    expect(splitCommandLine(`portolan -p 80 --script "default or (discovery and safe)" 'a b' c\\ d`)).toEqual({
      ok: true,
      words: ["portolan", "-p", "80", "--script", "default or (discovery and safe)", "a b", "c d"],
    });
    expect(splitCommandLine(`x ''`)).toEqual({ ok: true, words: ["x", ""] });
    expect(splitCommandLine(`$(rm -rf /) ; echo`)).toEqual({ ok: true, words: ["$(rm", "-rf", "/)", ";", "echo"] });
  });

  it("names unbalanced quotes", () => {
    const r = splitCommandLine(`portolan --script "default`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain("character 19");
  });

  it("joins words so that splitting gives them back", () => {
    const words = ["-p", "80", "default or (x)", "it's", "", "a\"b", "198.18.0.0/24"];
    expect(splitCommandLine(joinCommandLine(words))).toEqual({ ok: true, words });
  });

  it("has the ten classic profiles, each a portolan command line", () => {
    expect(PROFILES.map((p) => p.name)).toEqual([
      "Intense scan",
      "Intense scan plus UDP",
      "Intense scan, all TCP ports",
      "Intense scan, no ping",
      "Ping scan",
      "Quick scan",
      "Quick scan plus",
      "Quick traceroute",
      "Regular scan",
      "Slow comprehensive scan",
    ]);
    for (const p of PROFILES) {
      const line = profileCommand(p, "127.0.0.1");
      expect(line.startsWith("portolan ")).toBe(true);
      const args = scannerArgs(line);
      expect(args.ok && args.words.at(-1)).toBe("127.0.0.1");
    }
    const slow = scannerArgs(profileCommand(PROFILES[9]!, "127.0.0.1"));
    expect(slow.ok && slow.words).toContain("default or (discovery and safe)");
  });
});

describe("toConnectScan", () => {
  it("drops raw scan types and their flags, keeps everything else, and adds -sT once", () => {
    expect(toConnectScan(["-sS", "-p", "22", "127.0.0.1"])).toEqual(["-sT", "-p", "22", "127.0.0.1"]);
    expect(toConnectScan(["-sSUV", "-T4", "x"])).toEqual(["-sT", "-sV", "-T4", "x"]);
    expect(toConnectScan(["-sU", "--scanflags", "SYNFIN", "-sT", "x"])).toEqual(["-sT", "x"]);
    expect(toConnectScan(["--scanflags=URG", "-sA", "x"])).toEqual(["-sT", "x"]);
    // Nothing raw: unchanged, no -sT added (discovery-only scans stay discovery-only).
    expect(toConnectScan(["-sn", "198.18.0.0/24"])).toEqual(["-sn", "198.18.0.0/24"]);
    expect(toConnectScan(["-sTV", "x"])).toEqual(["-sTV", "x"]);
  });
});
