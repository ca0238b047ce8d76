#!/usr/bin/python3
"""toml-test conformance for build/toml-decode (TOML 1.0.0).

Runs every file listed in the suite's tests/files-toml-1.0.0: each valid/*.toml
must decode to JSON equal to its valid/*.json (compared as toml-test compares:
tables as unordered maps, arrays in order, floats numerically with nan == nan,
date/times as instants or as their fields, everything else exactly); each
invalid/*.toml must be refused with a non-zero exit.  One test method per file,
so "Ran N tests" counts the files.

  TOML_TEST_DIR   a checkout of https://github.com/toml-lang/toml-test
                  (default: <repo>/../shared/toml-test)
  CARRIER_BUILD   where toml-decode lives  (default: <repo>/build)

Without the suite's data at the default place the file-by-file tests are reported
as one skipped test, saying where it looked (the comparator self-test still runs);
a TOML_TEST_DIR that is set but holds no suite is an error.

Python 3 standard library only:  /usr/bin/python3 tests/conformance/test_toml_suite.py
"""
import json
import math
import os
import re
import subprocess
import sys
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITE = os.environ.get("TOML_TEST_DIR") or os.path.normpath(
    os.path.join(REPO, "..", "shared", "toml-test"))
BUILD = os.environ.get("CARRIER_BUILD") or os.path.join(REPO, "build")
DECODER = os.path.join(BUILD, "toml-decode")
LIST = os.path.join(SUITE, "tests", "files-toml-1.0.0")
TIMEOUT = 10


def decode(path):
    with open(path, "rb") as f:
        data = f.read()
    return subprocess.run([DECODER], input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=TIMEOUT)


# ---------------------------------------------------------------- comparison

_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_TIME = r"(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
_OFFSET = r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
_PATTERNS = {
    "datetime": re.compile(_DATE + r"[Tt ]" + _TIME + _OFFSET + r"\Z"),
    "datetime-local": re.compile(_DATE + r"[Tt ]" + _TIME + r"\Z"),
    "date-local": re.compile(_DATE + r"\Z"),
    "time-local": re.compile(_TIME + r"\Z"),
}


def _days_from_civil(y, m, d):
    """Days since 1970-01-01 in the proleptic Gregorian calendar."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def datetime_key(kind, text):
    """A comparable form of a date/time: toml-test parses both sides with Go's
    time.Parse and compares with Equal, i.e. offset date-times as instants and
    fractions to the nanosecond."""
    m = _PATTERNS[kind].match(text)
    if m is None:
        return ("unparseable", text)
    g = m.groups()
    if kind == "date-local":
        return tuple(int(x) for x in g)
    if kind == "time-local":
        h, mi, s, frac = g
        return (int(h), int(mi), int(s), int(((frac or "") + "000000000")[:9]))
    y, mo, d, h, mi, s, frac = g[:7]
    nanos = int(((frac or "") + "000000000")[:9])
    if kind == "datetime-local":
        return (int(y), int(mo), int(d), int(h), int(mi), int(s), nanos)
    z, sign, oh, om = g[7:]
    offset = 0 if z else (1 if sign == "+" else -1) * (int(oh) * 3600 + int(om) * 60)
    seconds = (_days_from_civil(int(y), int(mo), int(d)) * 86400
               + int(h) * 3600 + int(mi) * 60 + int(s) - offset)
    return (seconds, nanos)


def float_equal(want, have):
    def is_nan(s):
        return s.lstrip("+-") == "nan"
    if is_nan(want) or is_nan(have):
        return is_nan(want) and is_nan(have)
    try:
        return float(want.replace("_", "")) == float(have)
    except ValueError:
        return False


def is_tagged(v):
    return (isinstance(v, dict) and set(v) == {"type", "value"}
            and isinstance(v["type"], str) and isinstance(v["value"], str))


def compare(want, have, path="$"):
    """None if equal, else a description of the first difference."""
    if is_tagged(want):
        if not is_tagged(have):
            return "%s: want a %s value, have %s" % (path, want["type"], json.dumps(have)[:80])
        wt, ht = want["type"], have["type"]
        if wt != ht:
            return "%s: want type %s, have %s" % (path, wt, ht)
        wv, hv = want["value"], have["value"]
        if wt == "float":
            ok = float_equal(wv, hv)
        elif wt == "integer":
            ok = int(wv) == int(hv) if re.fullmatch(r"[+-]?\d+", hv) else False
        elif wt in _PATTERNS:
            ok = datetime_key(wt, wv) == datetime_key(wt, hv)
        else:
            ok = wv == hv
        return None if ok else "%s: want %s %r, have %r" % (path, wt, wv, hv)
    if isinstance(want, dict):
        if not isinstance(have, dict) or is_tagged(have):
            return "%s: want a table, have %s" % (path, json.dumps(have)[:80])
        if set(want) != set(have):
            missing = sorted(set(want) - set(have))
            extra = sorted(set(have) - set(want))
            return "%s: keys differ: missing %r, unexpected %r" % (path, missing, extra)
        for k in want:
            diff = compare(want[k], have[k], "%s.%s" % (path, json.dumps(k)))
            if diff:
                return diff
        return None
    if isinstance(want, list):
        if not isinstance(have, list):
            return "%s: want an array, have %s" % (path, json.dumps(have)[:80])
        if len(want) != len(have):
            return "%s: want %d elements, have %d" % (path, len(want), len(have))
        for i, (w, h) in enumerate(zip(want, have)):
            diff = compare(w, h, "%s[%d]" % (path, i))
            if diff:
                return diff
        return None
    return None if want == have else "%s: want %r, have %r" % (path, want, have)


# ---------------------------------------------------------------- tests

class TomlSuite(unittest.TestCase):
    """Methods are generated below, one per listed file."""


class ComparatorSelfTest(unittest.TestCase):
    """The comparison must be able to fail, or the suite proves nothing."""

    def test_comparator_rejects_differences(self):
        i = lambda v: {"type": "integer", "value": v}
        self.assertIsNone(compare({"a": i("1"), "b": [i("2")]}, {"b": [i("2")], "a": i("1")}))
        self.assertIsNotNone(compare({"a": i("1")}, {"a": i("2")}))
        self.assertIsNotNone(compare({"a": i("1")}, {"a": {"type": "float", "value": "1"}}))
        self.assertIsNotNone(compare({"a": i("1")}, {"a": i("1"), "b": i("1")}))
        self.assertIsNotNone(compare([i("1"), i("2")], [i("2"), i("1")]))
        self.assertIsNotNone(compare({"a": {}}, {"a": []}))
        f = lambda v: {"type": "float", "value": v}
        self.assertIsNone(compare(f("nan"), f("-nan")))
        self.assertIsNone(compare(f("1e3"), f("1000")))
        self.assertIsNotNone(compare(f("inf"), f("-inf")))
        self.assertIsNotNone(compare(f("nan"), f("0")))
        d = lambda v: {"type": "datetime", "value": v}
        self.assertIsNone(compare(d("1987-07-05T17:45:56.6Z"), d("1987-07-05T17:45:56.600Z")))
        self.assertIsNone(compare(d("1987-07-05T17:45:00Z"), d("1987-07-05T19:45:00+02:00")))
        self.assertIsNotNone(compare(d("1987-07-05T17:45:00Z"), d("1987-07-05T17:45:00+02:00")))


def _valid_test(name):
    toml = os.path.join(SUITE, "tests", name + ".toml")
    expected = os.path.join(SUITE, "tests", name + ".json")

    def test(self):
        with open(expected, encoding="utf-8") as f:
            want = json.load(f)
        r = decode(toml)
        self.assertEqual(r.returncode, 0, "refused valid %s: %s" %
                         (name, r.stderr.decode("utf-8", "replace").strip()))
        try:
            have = json.loads(r.stdout.decode("utf-8"))
        except ValueError as e:
            self.fail("%s: decoder wrote invalid JSON (%s): %r" % (name, e, r.stdout[:200]))
        diff = compare(want, have)
        if diff:
            self.fail("%s: %s" % (name, diff))
    return test


def _invalid_test(name):
    toml = os.path.join(SUITE, "tests", name)

    def test(self):
        r = decode(toml)
        self.assertNotEqual(r.returncode, 0, "accepted invalid %s, output %r" %
                            (name, r.stdout[:200]))
        # refused cleanly (exit 1, "line:column: message"), not crashed
        self.assertEqual(r.returncode, 1, "%s: exit %d, stderr %r" %
                         (name, r.returncode, r.stderr[:200]))
        self.assertRegex(r.stderr.decode("utf-8", "replace"), r"^\d+:\d+: \S")
    return test


def _method_name(kind, name):
    return "test_%s__%s" % (kind, re.sub(r"[^0-9A-Za-z]+", "_", name))


def _generate():
    with open(LIST, encoding="utf-8") as f:
        files = [line.strip() for line in f if line.strip()]
    count = 0
    for entry in files:
        if entry.startswith("valid/") and entry.endswith(".toml"):
            name = entry[:-len(".toml")]
            method, test = _method_name("valid", name[len("valid/"):]), _valid_test(name)
        elif entry.startswith("invalid/") and entry.endswith(".toml"):
            method = _method_name("invalid", entry[len("invalid/"):-len(".toml")])
            test = _invalid_test(entry)
        else:
            continue            # the .json halves of valid tests
        assert not hasattr(TomlSuite, method), "duplicate test name " + method
        test.__name__ = method
        setattr(TomlSuite, method, test)
        count += 1
    return count


if not os.path.exists(LIST):
    if os.environ.get("TOML_TEST_DIR"):
        sys.exit("toml-test suite not found at %s: TOML_TEST_DIR must be a toml-test "
                 "checkout holding tests/files-toml-1.0.0" % SUITE)
    MISSING = ("toml-test suite data not found at %s; to run it, set TOML_TEST_DIR to a "
               "checkout of https://github.com/toml-lang/toml-test" % SUITE)

    @unittest.skip(MISSING)
    def test_suite_files(self):
        pass
    TomlSuite.test_suite_files = test_suite_files
    GENERATED = 0
else:
    if not os.access(DECODER, os.X_OK):
        sys.exit("decoder not found at %s (build it: make %s, or set CARRIER_BUILD)"
                 % (DECODER, os.path.relpath(DECODER, REPO)))
    GENERATED = _generate()

if __name__ == "__main__":
    unittest.main(verbosity=int(os.environ.get("VERBOSE", "1")))
