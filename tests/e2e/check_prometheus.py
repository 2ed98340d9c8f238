#!/usr/bin/env python3
"""Strict check of Prometheus text exposition format (version 0.0.4) on stdin.

Every sample needs a preceding # TYPE for its metric family, names and labels must match the
grammar, values must be floats, and no family may appear twice. Exit 1 with a message otherwise.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL}(?:,{LABEL})*)?,?\}})? (\S+)( -?\d+)?$")
HELP = re.compile(rf"^# HELP ({NAME}) .*$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")

typed, seen_samples, names = {}, set(), []
for n, line in enumerate(sys.stdin.read().split("\n")[:-1], 1):
    def bad(why):
        sys.exit(f"line {n}: {why}: {line!r}")
    if line.startswith("# HELP"):
        HELP.match(line) or bad("bad HELP")
    elif line.startswith("# TYPE"):
        m = TYPE.match(line) or bad("bad TYPE")
        m.group(1) not in typed or bad("family typed twice")
        typed[m.group(1)] = m.group(2)
    elif line.startswith("#"):
        continue
    else:
        m = SAMPLE.match(line) or bad("bad sample")
        m.group(1) in typed or bad("sample without TYPE")
        try:
            float(m.group(3))
        except ValueError:
            bad("value is not a number")
        key = (m.group(1), m.group(2))
        key not in seen_samples or bad("duplicate sample")
        seen_samples.add(key)
        names.append(m.group(1))
if not names:
    sys.exit("no samples")
print(" ".join(sorted(set(names))))
