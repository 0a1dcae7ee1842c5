"""Pins the thread counts of torch and its BLAS before torch is imported (for torch_lm.py and infer_torch.py).

    from torch_threads import pin
    torch, threadpoolctl = pin(threads)   # threadpoolctl is None when it is not installed
"""

import os


def pin(threads):
    # Threads must be fixed before torch starts its pools; OpenBLAS reads its own variable.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    import torch

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    try:
        import threadpoolctl

        pin.limits = threadpoolctl.threadpool_limits(limits=threads, user_api="blas")  # kept alive for the run
    except ImportError:
        threadpoolctl = None
    return torch, threadpoolctl
