"""``python -m sciml_teach.teach release|progress ...``: see :mod:`sciml_teach.teach.cli`."""
import sys

from .cli import main

sys.exit(main())
