"""Regenerate evaluation/meteor_native/java_pow.txt: where the JVM's Math.pow differs from C's pow.

python -m scripts.meteor_pow_table [--max-sum 4000]

METEOR's fragmentation penalty is ``gamma * Math.pow(chunks / (matched / 2), beta)``. On x86-64,
HotSpot (JDK 9+) computes Math.pow with its own intrinsic, which is not always correctly rounded:
for 4,800 of the 4.0 M (chunks, matched) pairs with matched <= 4000 its result is one unit in the
last place away from C's ``pow`` (glibc), which Python's ``math.pow`` calls. This script asks the
installed JVM for every such pair and lists the ones that differ, with the JVM's bits; the native
METEOR uses them, so its scores equal the jar's bit for bit on such a JVM.
"""

from __future__ import annotations

import argparse
import math
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "evaluation" / "meteor_native" / "java_pow.txt"
BETA = 0.2

JAVA = """
public class PowDump { public static void main(String[] a) {
  int smax = Integer.parseInt(a[0]); double beta = Double.parseDouble(a[1]);
  StringBuilder sb = new StringBuilder();
  for (int s = 1; s <= smax; s++) { for (int c = 1; 2 * c <= s + 1; c++) {
    double frag = ((double) c) / (((double) s) / 2);
    sb.append(c).append(' ').append(s).append(' ')
      .append(Long.toHexString(Double.doubleToRawLongBits(Math.pow(frag, beta)))).append('\\n'); }
    if (sb.length() > 1 << 20) { System.out.print(sb); sb.setLength(0); } }
  System.out.print(sb); System.out.flush(); } }
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-sum", type=int, default=4000, help="largest matched-word total")
    args = ap.parse_args()
    if shutil.which("javac") is None:
        print("needs javac", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "PowDump.java").write_text(JAVA)
        subprocess.run(["javac", "PowDump.java"], cwd=tmp, check=True)
        version = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
        proc = subprocess.Popen(
            ["java", "-cp", tmp, "PowDump", str(args.max_sum), repr(BETA)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        rows, total = [], 0
        for line in proc.stdout:
            c, s, bits = line.split()
            total += 1
            java = struct.unpack("<d", struct.pack("<Q", int(bits, 16)))[0]
            if math.pow(int(c) / (int(s) / 2), BETA) != java:
                rows.append(f"{c} {s} {bits}")
        if proc.wait() != 0:
            return 1
    header = [
        "# (chunks, matched words) whose Math.pow(chunks / (matched / 2), 0.2) on the JVM below",
        "# differs from C's pow; third column: the JVM's result (IEEE-754 bits, hex).",
        f"# {version.strip().splitlines()[0]}; matched <= {args.max_sum}; "
        f"{len(rows)} of {total} differ. Regenerate: python -m scripts.meteor_pow_table",
    ]
    from compmo_gen.core.io import write_atomic

    write_atomic(OUT, "\n".join(header + rows) + "\n")
    print(f"{OUT}: {len(rows)} of {total} differ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
