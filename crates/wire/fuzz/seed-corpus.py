#!/usr/bin/env python3
"""Writes every frame of ../tests/captures/*.pcap (and its network-layer bytes) into corpus/parsers/ as seeds."""
import os, struct, glob
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "parsers")
os.makedirs(out, exist_ok=True)
offsets = {1: 14, 113: 16, 276: 20, 101: 0}
for path in sorted(glob.glob(os.path.join(here, "..", "tests", "captures", "*.pcap"))):
    b = open(path, "rb").read()
    link = struct.unpack("<I", b[20:24])[0]
    at, i = 24, 0
    while at + 16 <= len(b):
        incl = struct.unpack("<I", b[at + 8:at + 12])[0]
        pkt = b[at + 16:at + 16 + incl]
        base = os.path.splitext(os.path.basename(path))[0]
        open(os.path.join(out, f"{base}-{i}"), "wb").write(pkt)
        open(os.path.join(out, f"{base}-{i}-net"), "wb").write(pkt[offsets.get(link, 0):])
        at += 16 + incl
        i += 1
