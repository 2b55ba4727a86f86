"""PyInstaller entry point of the bundled ``workbench`` command (same as the console script)."""

import multiprocessing
import sys

from workbench.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
