"""Runs the jobs of train/torch_test.go in one Python process (torch takes
seconds to import, so one process serves every case).

    python3 torch_driver.py TOOLS_DIR < jobs.json

jobs.json is a JSON list; each job is one of

    {"argv": [...]}   run sparselm_torch.main(argv); the result has "stdout",
                      "stderr" and "exit" (the exit status main or argparse gave,
                      1 for an exception, whose traceback is in stderr)
    {"check": PATH}   check the safetensors file at PATH: "error" is
                      parse_safetensors's message or null, "layout" the list of
                      safetensors_layout_problems, and "official" the official
                      package's error (null when it loads the file; absent when
                      the package is not installed)

It prints {"versions": {...}, "results": [one per job]} as JSON.
"""

import contextlib
import io
import json
import sys
import traceback

sys.dont_write_bytecode = True  # no __pycache__ in tools/
sys.path.insert(0, sys.argv[1])

import numpy  # noqa: E402
import sparselm_torch as st  # noqa: E402
import torch  # noqa: E402

try:
    import safetensors
    import safetensors.torch
except ImportError:
    safetensors = None


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = st.main(argv)
        except SystemExit as e:  # argparse
            code = e.code if isinstance(e.code, int) else 1
        except Exception:
            traceback.print_exc()
            code = 1
    return {"stdout": out.getvalue(), "stderr": err.getvalue(), "exit": code}


def check(path):
    with open(path, "rb") as f:
        buf = f.read()
    r = {"error": None, "layout": []}
    try:
        st.parse_safetensors(buf)
        r["layout"] = st.safetensors_layout_problems(buf)
    except st.SafetensorsError as e:
        r["error"] = str(e)
    if safetensors is not None:
        try:
            safetensors.torch.load(buf)
            r["official"] = None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # SafetensorError, or a PanicException from its Rust code
            r["official"] = f"{type(e).__name__}: {e}"
    return r


jobs = json.load(sys.stdin)
results = [run(j["argv"]) if "argv" in j else check(j["check"]) for j in jobs]
versions = {
    "python": sys.version.split()[0],
    "torch": torch.__version__,
    "numpy": numpy.__version__,
    "safetensors": getattr(safetensors, "__version__", "installed") if safetensors else None,
}
json.dump({"versions": versions, "results": results}, sys.stdout)
