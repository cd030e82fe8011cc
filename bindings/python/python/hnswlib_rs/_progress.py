"""The progress bar of ``add_items(..., progress=True)``: tqdm when installed,
else a one-line percentage on stderr."""

import sys
import time


class ProgressBar:
    """Called as ``bar(done, total)`` from the adding threads (with the GIL)."""

    def __init__(self, total, desc="add_items"):
        self.total = total
        self.done = 0
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._bar = None
            self._desc = desc
            self._last = 0.0
        else:
            self._bar = tqdm(total=total, desc=desc, unit="vec")

    def __call__(self, done, total):
        if self._bar is not None:
            self._bar.update(done - self.done)
        else:
            now = time.monotonic()
            if now - self._last >= 0.2 or done == total:
                self._last = now
                sys.stderr.write(
                    f"\r{self._desc}: {100 * done // max(total, 1):3d}% ({done}/{total})"
                )
                sys.stderr.flush()
        self.done = done
        return True

    def close(self):
        if self._bar is not None:
            self._bar.close()
        elif self.done:
            sys.stderr.write("\n")
            sys.stderr.flush()
